/**
 * The clustering scenario's synthetic population: devices in 12 metros of four regions, each
 * on an access network whose round trip to its Cloudflare colo is drawn from that network's
 * range, within 300 km of its metro; and the measure the scenario reports, the RTT spread
 * of clusters against random clusters of the same sizes.
 */
import { seededRandom } from "../../sdk/spam/random";

interface Metro {
  name: string;
  latitude: number;
  longitude: number;
  continent: string;
  country: string;
}

const METROS: Metro[] = [
  { name: "Paris", latitude: 48.85, longitude: 2.35, continent: "EU", country: "FR" },
  { name: "London", latitude: 51.51, longitude: -0.13, continent: "EU", country: "GB" },
  { name: "Madrid", latitude: 40.42, longitude: -3.7, continent: "EU", country: "ES" },
  { name: "New York", latitude: 40.71, longitude: -74.01, continent: "NA", country: "US" },
  { name: "Toronto", latitude: 43.65, longitude: -79.38, continent: "NA", country: "CA" },
  { name: "Atlanta", latitude: 33.75, longitude: -84.39, continent: "NA", country: "US" },
  { name: "São Paulo", latitude: -23.55, longitude: -46.63, continent: "SA", country: "BR" },
  { name: "Buenos Aires", latitude: -34.6, longitude: -58.38, continent: "SA", country: "AR" },
  { name: "Bogotá", latitude: 4.71, longitude: -74.07, continent: "SA", country: "CO" },
  { name: "Tokyo", latitude: 35.68, longitude: 139.69, continent: "AS", country: "JP" },
  { name: "Singapore", latitude: 1.35, longitude: 103.82, continent: "AS", country: "SG" },
  { name: "Mumbai", latitude: 19.08, longitude: 72.88, continent: "AS", country: "IN" },
];

/** Access networks: share of devices, and the range of their RTT to the colo (ms). */
const ACCESS = [
  { name: "fibre", share: 0.4, rtt: [4, 12] },
  { name: "cable/DSL", share: 0.3, rtt: [15, 35] },
  { name: "4G", share: 0.25, rtt: [35, 80] },
  { name: "satellite/3G", share: 0.05, rtt: [150, 600] },
] as const;

export interface Person {
  ip: string;
  metro: string;
  access: string;
  rttMs: number;
  latitude: number;
  longitude: number;
  continent: string;
  country: string;
}

export type Population = Person[];

export function population(n: number, seed: number): Population {
  const random = seededRandom(seed * 7919 + 17);
  return Array.from({ length: n }, (_, i) => {
    const metro = METROS[Math.floor(random() * METROS.length)] as Metro;
    const u = random();
    let cumulative = 0;
    const access =
      ACCESS.find((a) => {
        cumulative += a.share;
        return u < cumulative;
      }) ?? ACCESS[0];
    const [lo, hi] = access.rtt;
    // Up to 300 km from the metro's centre (about 2.7° of latitude); a millisecond per 100 km.
    const [dLat, dLon] = [(random() - 0.5) * 5.4, (random() - 0.5) * 5.4];
    const km = 111 * Math.hypot(dLat, dLon * Math.cos((metro.latitude * Math.PI) / 180));
    return {
      ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      metro: metro.name,
      access: access.name,
      rttMs: Math.round(lo + (hi - lo) * random() + km / 100),
      latitude: metro.latitude + dLat,
      longitude: metro.longitude + dLon,
      continent: metro.continent,
      country: metro.country,
    };
  });
}

/** What a Cloudflare edge would attach to the device's requests (`request.cf`). */
export function cfFor(p: Person) {
  return {
    clientTcpRtt: p.rttMs,
    latitude: p.latitude.toFixed(4),
    longitude: p.longitude.toFixed(4),
    continent: p.continent,
    country: p.country,
  };
}

function std(xs: readonly number[]): number {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / xs.length);
}

/** Mean over clusters of the standard deviation of their members' RTTs. */
function meanSpread(groups: readonly number[][]): number {
  const spreads = groups.filter((g) => g.length > 0).map(std);
  return spreads.reduce((a, b) => a + b, 0) / spreads.length;
}

export interface Spread {
  withinMs: number;
  /** The same, for random clusters of the same sizes in the same regions (mean of 5 shuffles). */
  randomMs: number;
  clusters: number;
  sizeMin: number;
  sizeMax: number;
}

/** Device i is in `placements[i]`; its RTT is `rtts[i]`. */
export function spread(
  placements: readonly { region: string; cluster: number }[],
  rtts: readonly number[],
  seed: number,
): Spread {
  const groups = new Map<string, number[]>();
  placements.forEach((p, i) => {
    const key = `${p.region}/${p.cluster}`;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  const members = [...groups.values()];
  const withinMs = meanSpread(members.map((g) => g.map((i) => rtts[i] as number)));
  const random = seededRandom(seed * 31 + 5);
  let randomMs = 0;
  for (let shuffle = 0; shuffle < 5; shuffle++) {
    const shuffled: number[][] = [];
    const byRegion = new Map<string, number[][]>();
    for (const [key, g] of groups) {
      const region = key.split("/")[0] as string;
      byRegion.set(region, [...(byRegion.get(region) ?? []), g]);
    }
    for (const gs of byRegion.values()) {
      // Fisher–Yates over the region's devices, then cut into the same sizes.
      const pool = gs.flat();
      for (let i = pool.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [pool[i], pool[j]] = [pool[j] as number, pool[i] as number];
      }
      let at = 0;
      for (const g of gs) {
        shuffled.push(pool.slice(at, at + g.length).map((i) => rtts[i] as number));
        at += g.length;
      }
    }
    randomMs += meanSpread(shuffled) / 5;
  }
  const sizes = members.map((g) => g.length);
  return {
    withinMs,
    randomMs,
    clusters: members.length,
    sizeMin: Math.min(...sizes),
    sizeMax: Math.max(...sizes),
  };
}
