import { describe, expect, it } from "vitest";
import { cfFor, population, spread } from "./population";

describe("the clustering scenario's population", () => {
  it("is the same for the same seed, with the documented access mix", () => {
    const a = population(2000, 1);
    expect(population(2000, 1)).toEqual(a);
    const share = (name: string) => a.filter((p) => p.access === name).length / a.length;
    expect(share("fibre")).toBeCloseTo(0.4, 1);
    expect(share("satellite/3G")).toBeCloseTo(0.05, 1);
    expect(cfFor(a[0]!)).toEqual({
      clientTcpRtt: a[0]!.rttMs,
      latitude: a[0]!.latitude.toFixed(4),
      longitude: a[0]!.longitude.toFixed(4),
      continent: a[0]!.continent,
      country: a[0]!.country,
    });
  });

  it("measures spread as the mean of clusters' RTT standard deviations, against random clusters of the same sizes", () => {
    const rtts = [10, 10, 20, 20, 100, 100, 200, 200];
    // Sorted into pairs: no spread; shuffled: some.
    const sorted = rtts.map((_, i) => ({ region: "weur", cluster: Math.floor(i / 2) }));
    const s = spread(sorted, rtts, 1);
    expect(s).toMatchObject({ withinMs: 0, clusters: 4, sizeMin: 2, sizeMax: 2 });
    expect(s.randomMs).toBeGreaterThan(10);
    // One cluster of everyone: the population's standard deviation, whatever the shuffle.
    const one = spread(
      rtts.map(() => ({ region: "weur", cluster: 0 })),
      rtts,
      1,
    );
    expect(one.withinMs).toBeCloseTo(one.randomMs, 9);
  });
});
