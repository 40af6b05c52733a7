import { describe, expect, it } from "vitest";
import { paceDelayMs, paceSteering } from "./pace-steering";

describe("pace steering", () => {
  it("stretches the reconnect window to hold targetConcurrent check-ins per period", () => {
    const pace = paceSteering({ activeDevices: 2_000, targetConcurrent: 100, periodSeconds: 10 }, "device-1");

    expect(pace.windowMs).toBe(200_000);
  });

  it("uses one period as the window when the population fits in it", () => {
    expect(paceSteering({ activeDevices: 50, targetConcurrent: 100, periodSeconds: 10 }, "d").windowMs).toBe(
      10_000,
    );
    expect(paceSteering({ activeDevices: 0, targetConcurrent: 100, periodSeconds: 10 }, "d").windowMs).toBe(
      10_000,
    );
  });

  it("gives a device the same offset every time, inside the window", () => {
    const input = { activeDevices: 500, targetConcurrent: 10, periodSeconds: 2 };

    const first = paceSteering(input, "device-42");
    const again = paceSteering(input, "device-42");

    expect(again).toEqual(first);
    expect(first.offsetMs).toBeGreaterThanOrEqual(0);
    expect(first.offsetMs).toBeLessThan(first.windowMs);
  });

  it("keeps a device's relative place when the population grows", () => {
    const small = paceSteering({ activeDevices: 100, targetConcurrent: 10, periodSeconds: 1 }, "device-7");
    const large = paceSteering({ activeDevices: 1_000, targetConcurrent: 10, periodSeconds: 1 }, "device-7");

    expect(large.offsetMs / large.windowMs).toBeCloseTo(small.offsetMs / small.windowMs, 3);
  });

  it("spreads a population's check-ins evenly: each period of the window gets close to targetConcurrent", () => {
    const input = { activeDevices: 10_000, targetConcurrent: 100, periodSeconds: 10 };
    const perPeriod = new Array<number>(100).fill(0);

    for (let i = 0; i < 10_000; i++) {
      const { offsetMs } = paceSteering(input, `device-${i}`);
      perPeriod[Math.floor(offsetMs / 10_000)]! += 1;
    }

    // Each period count is Binomial(10000, 1/100), standard deviation ≈ 10: ±50 is five of them.
    expect(Math.max(...perPeriod)).toBeLessThanOrEqual(150);
    expect(Math.min(...perPeriod)).toBeGreaterThanOrEqual(50);
  });

  it("gives the delay to the device's next slot in the aligned window, never 0", () => {
    const pace = { windowMs: 60_000, offsetMs: 15_000 };

    expect(paceDelayMs(pace, 120_000)).toBe(15_000);
    expect(paceDelayMs(pace, 130_000)).toBe(5_000);
    expect(paceDelayMs(pace, 135_000)).toBe(60_000);
    expect(paceDelayMs(pace, 170_000)).toBe(25_000);
  });

  it("refuses inputs out of range, naming the field", () => {
    expect(() => paceSteering({ activeDevices: -1, targetConcurrent: 1, periodSeconds: 1 }, "d")).toThrow(
      /pace\.activeDevices/,
    );
    expect(() => paceSteering({ activeDevices: 1, targetConcurrent: 0, periodSeconds: 1 }, "d")).toThrow(
      /pace\.targetConcurrent/,
    );
    expect(() => paceSteering({ activeDevices: 1, targetConcurrent: 1, periodSeconds: 0 }, "d")).toThrow(
      /pace\.periodSeconds/,
    );
  });
});
