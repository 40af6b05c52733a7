/**
 * `npm run scenario:clustering`: a synthetic population of devices spread over four regions,
 * each in a metro on an access network of its own, registers with fedge in workerd (driven
 * directly through Miniflare, with the `request.cf` a Cloudflare edge would attach); the
 * regions are re-clustered, every device checks in (a moved one gets its new cluster's
 * token), and the clusters are compared with random clusters of the same sizes. `--help`
 * lists the options.
 */
import { intOption, parseOptions, usageExit } from "./cli";
import { startLocalService } from "./local-service";
import { cfFor, type Population, population, spread } from "./scenario/population";

const HELP = `usage: npm run scenario:clustering [-- options]

Registers a synthetic population with fedge in workerd, with the request.cf Cloudflare would
attach (RTT to the colo, latitude, longitude, continent): 12 metros in 4 regions (weur, enam,
sam, apac), each device on fibre (40%: 4–12 ms to its colo), cable/DSL (30%: 15–35 ms),
4G (25%: 35–80 ms) or satellite/3G (5%: 150–600 ms), within 300 km of its metro. Then every
region is re-clustered (POST …/regions/:region/recluster), every device checks in and reads
its cluster from its token, and the clusters' RTT spread (the standard deviation of their
members' RTTs, averaged over clusters) is compared with random clusters of the same sizes
in the same regions (the mean of 5 shuffles).

  --devices N      devices (default 2000)
  --target N       clusters.targetSize (default 10); the size band is [⌈N/2⌉, ⌊3N/2⌋]
  --seed N         seeds the population and the shuffles (default 1)
  --json           print one JSON object as the last line`;

const usage = usageExit("scenario:clustering", HELP);

const opts = parseOptions(
  {
    devices: { type: "string", default: "2000" },
    target: { type: "string", default: "10" },
    seed: { type: "string", default: "1" },
    json: { type: "boolean" },
    help: { type: "boolean" },
  },
  usage,
);
if (opts.help) {
  console.log(HELP);
  process.exit(0);
}
const int = (name: "devices" | "target" | "seed", min: number) => intOption(name, opts[name], min, usage);
const devices = int("devices", 20);
const target = int("target", 2);
const seed = int("seed", 0);
const say = (line: string) => (opts.json ? process.stderr.write(`${line}\n`) : console.log(line));
const started = performance.now();

const people: Population = population(devices, seed);
const service = await startLocalService();
try {
  const admin = { Authorization: `Bearer ${service.adminToken}`, "Content-Type": "application/json" };
  const created = await service.fetch("/v1/admin/tasks/clustering", {
    method: "PUT",
    headers: admin,
    body: JSON.stringify({
      model: { parameters: 4, layout: [{ name: "w", shape: [4], offset: 0 }] },
      // Re-clustered on demand below, not by the alarm.
      clusters: { targetSize: target, reclusterSeconds: 0 },
    }),
  });
  if (created.status !== 201) throw new Error(`creating the task: ${created.status} ${await created.text()}`);

  say(`registering ${devices} devices…`);
  const tokens: string[] = [];
  const ids: string[] = [];
  const online: { region: string; cluster: number }[] = [];
  for (const person of people) {
    const res = await service.fetch("/v1/tasks/clustering/devices", {
      method: "POST",
      headers: { "CF-Connecting-IP": person.ip },
      cf: cfFor(person),
    } as RequestInit);
    if (res.status !== 201) throw new Error(`registration: ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { deviceId: string; token: string; region: string; cluster: number };
    tokens.push(body.token);
    ids.push(body.deviceId);
    online.push({ region: body.region, cluster: body.cluster });
  }
  const regions = [...new Set(online.map((p) => p.region))].sort();
  let moved = 0;
  for (const region of regions) {
    const res = await service.fetch(`/v1/admin/tasks/clustering/regions/${region}/recluster`, {
      method: "POST",
      headers: admin,
    });
    if (res.status !== 200) throw new Error(`re-clustering ${region}: ${res.status} ${await res.text()}`);
    moved += ((await res.json()) as { movedNow: number }).movedNow;
  }

  say(`re-clustered ${regions.join(", ")}: ${moved} devices moved; checking every device in…`);
  const placed: { region: string; cluster: number }[] = [];
  for (let i = 0; i < people.length; i++) {
    const res = await service.fetch("/v1/tasks/clustering/checkin", {
      method: "POST",
      headers: { Authorization: `Bearer ${tokens[i]}`, "Content-Type": "application/json" },
      body: "{}",
    });
    if (res.status !== 200) throw new Error(`check-in: ${res.status} ${await res.text()}`);
    const answer = (await res.json()) as { token?: string };
    const claims = JSON.parse(atob((answer.token ?? (tokens[i] as string)).split(".")[1] as string)) as {
      region: string;
      cluster: number;
    };
    placed.push({ region: claims.region, cluster: claims.cluster });
  }

  // Every device in exactly one cluster: as the clusters' own member lists have it.
  const seen = new Map<string, number>();
  const clusterKeys = new Set([...online, ...placed].map((p) => `${p.region}/${p.cluster}`));
  for (const key of clusterKeys) {
    const res = await service.fetch(`/v1/admin/tasks/clustering/clusters/${key}`, { headers: admin });
    if (res.status !== 200) throw new Error(`cluster ${key}: ${res.status} ${await res.text()}`);
    for (const m of ((await res.json()) as { members: { device: string }[] }).members)
      seen.set(m.device, (seen.get(m.device) ?? 0) + 1);
  }
  const inExactlyOne = ids.filter((id) => seen.get(id) === 1).length;
  const rtts = people.map((p) => p.rttMs);
  const online_ = spread(online, rtts, seed);
  const final = spread(placed, rtts, seed);
  const band = { min: Math.ceil(target / 2), max: Math.floor((3 * target) / 2) };
  say("");
  say(`${"".padEnd(28)}${"RTT spread".padEnd(14)}random`);
  say(
    `${"on registration (online)".padEnd(28)}${`${online_.withinMs.toFixed(1)} ms`.padEnd(14)}${online_.randomMs.toFixed(1)} ms`,
  );
  say(
    `${"after re-clustering".padEnd(28)}${`${final.withinMs.toFixed(1)} ms`.padEnd(14)}${final.randomMs.toFixed(1)} ms  (${(final.randomMs / final.withinMs).toFixed(1)}× tighter)`,
  );
  say(
    `${final.clusters} clusters, sizes ${final.sizeMin}–${final.sizeMax} (band ${band.min}–${band.max}); ${inExactlyOne} of ${devices} devices in exactly one cluster`,
  );
  if (opts.json)
    console.log(
      JSON.stringify({
        withinClusterRttSpreadMs: final.withinMs,
        randomRttSpreadMs: final.randomMs,
        ratio: final.randomMs / final.withinMs,
        sizeMin: final.sizeMin,
        sizeMax: final.sizeMax,
        band,
        devices,
        inExactlyOneCluster: inExactlyOne,
        clusters: final.clusters,
        moved,
        online: { withinClusterRttSpreadMs: online_.withinMs, ratio: online_.randomMs / online_.withinMs },
        regions,
        seconds: Math.round((performance.now() - started) / 1000),
      }),
    );
} finally {
  await service.dispose();
}
