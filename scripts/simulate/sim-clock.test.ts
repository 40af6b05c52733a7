import { describe, expect, it } from "vitest";
import { seededRandom } from "../../sdk/spam/random";
import { parseLevels } from "./bandwidth";
import { assignClasses, DeviceClock, EventQueue, levelBins, MIXED_CLASSES, timeToTarget } from "./sim-clock";

describe("assignClasses", () => {
  it("deals 10% / 60% / 30% of 100 devices, the same way for the same seed", () => {
    const a = assignClasses(100, MIXED_CLASSES, seededRandom(7));
    const count = (xs: number[], c: number) => xs.filter((x) => x === c).length;

    expect([0, 1, 2].map((c) => count(a, c))).toEqual([10, 60, 30]);
    expect(assignClasses(100, MIXED_CLASSES, seededRandom(7))).toEqual(a);
    expect(assignClasses(100, MIXED_CLASSES, seededRandom(8))).not.toEqual(a);
  });

  it("gives the largest remainders the devices that the shares leave over", () => {
    const a = assignClasses(7, MIXED_CLASSES, seededRandom(1));

    // 0.7, 4.2, 2.1: floors 0, 4, 2, and the seventh device to the class with remainder 0.7.
    expect([0, 1, 2].map((c) => a.filter((x) => x === c).length)).toEqual([1, 4, 2]);
  });
});

describe("DeviceClock", () => {
  it("tells the SDK epoch milliseconds plus simulated time, and sleeps without waiting", async () => {
    const clock = new DeviceClock(1_000_000);
    clock.advance(1.5);
    await clock.sleep(250);

    expect(clock.seconds).toBe(1.75);
    expect(clock.now()).toBe(1_001_750);
  });
});

describe("EventQueue", () => {
  it("lets processes act one at a time in order of simulated time, ties by id", async () => {
    const queue = new EventQueue();
    const log: string[] = [];
    let inside = 0;
    const proc = async (id: number, times: number[]) => {
      try {
        for (const t of times) {
          await queue.at(id, t);
          inside += 1;
          expect(inside).toBe(1);
          log.push(`${id}@${t}`);
          await new Promise((r) => setTimeout(r, 1));
          inside -= 1;
        }
      } finally {
        queue.leave(id);
      }
    };
    const procs = [proc(2, [0, 3, 5]), proc(1, [1, 3, 4]), proc(0, [2, 6])];
    const seen: number[] = [];
    await queue.run(async (now) => {
      seen.push(now);
      return true;
    });
    await Promise.all(procs);

    expect(log).toEqual(["2@0", "1@1", "0@2", "1@3", "2@3", "1@4", "2@5", "0@6"]);
    expect(seen).toEqual([0, 0, 1, 2, 3, 3, 4, 5, 6]);
  });

  it("never goes back in time, stops once `between` says no, and stop releases everyone still waiting", async () => {
    const queue = new EventQueue();
    const times: number[] = [];
    const procs = [0, 1].map(async (id) => {
      try {
        await queue.at(id, 10);
        times.push(queue.now);
        await queue.at(id, 5);
        times.push(queue.now);
        await queue.at(id, 100);
        times.push(queue.stopped ? -1 : queue.now);
      } finally {
        queue.leave(id);
      }
    });
    await queue.run(async (now) => now < 50);
    queue.stop();
    await Promise.all(procs);

    expect(times.slice(0, 4)).toEqual([10, 10, 10, 10]);
    // Process 0 acted at 100, after which `between` said no; process 1 was released by stop().
    expect(times.slice(4)).toEqual([100, -1]);
    expect(queue.pending).toBe(0);
  });
});

describe("timeToTarget", () => {
  it("is the first version at or above the target, or null", () => {
    const points = [
      { seconds: 0, accuracy: 0.5 },
      { seconds: 3, accuracy: 0.96 },
      { seconds: 4, accuracy: 0.94 },
      { seconds: 9, accuracy: 0.97 },
    ];

    expect(timeToTarget(points, 0.96)).toBe(3);
    expect(timeToTarget(points, 0.965)).toBe(9);
    expect(timeToTarget(points, 0.99)).toBeNull();
  });
});

describe("levelBins", () => {
  it("takes the median density and the usual bits per class and bin", () => {
    const bins = levelBins(
      [
        { seconds: 0.5, cls: 0, density: 0.001, bits: 4 },
        { seconds: 0.7, cls: 0, density: 0.01, bits: 8 },
        { seconds: 0.9, cls: 0, density: 0.1, bits: 4 },
        { seconds: 2.5, cls: 0, density: 0.01, bits: 8 },
        { seconds: 0.1, cls: 1, density: 0.1, bits: 8 },
        { seconds: 0.2, cls: 1, density: 0.3, bits: 16 },
      ],
      3,
      1,
    );

    expect(bins[0]).toEqual([
      { seconds: 0.5, medianDensity: 0.01, bits: 4, count: 3 },
      { seconds: 2.5, medianDensity: 0.01, bits: 8, count: 1 },
    ]);
    expect(bins[1]).toEqual([{ seconds: 0.5, medianDensity: 0.2, bits: 8, count: 2 }]);
    expect(bins[2]).toEqual([]);
  });
});

describe("parseLevels", () => {
  const usage = (message: string): never => {
    throw new Error(message);
  };

  it("reads density:bits pairs", () => {
    expect(parseLevels("0.001:8, 0.1:4", usage)).toEqual([
      { density: 0.001, bits: 8 },
      { density: 0.1, bits: 4 },
    ]);
  });

  it("names --levels when a pair is malformed", () => {
    for (const bad of ["0.01", "0:8", "0.01:7", "0.01:8:1", "x:8"])
      expect(() => parseLevels(bad, usage)).toThrow(/--levels/);
  });
});
