import { afterEach, describe, expect, it, vi } from "vitest";
import { alwaysCharging, browserBattery } from "./battery";

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("browserBattery", () => {
  it("reads level and charging from navigator.getBattery()", async () => {
    vi.stubGlobal("navigator", {
      getBattery: async () => ({ level: 0.42, charging: false, chargingTime: 0 }),
    });
    expect(await browserBattery()).toEqual({ level: 0.42, charging: false });
  });

  it("is unknown where the Battery Status API is missing", async () => {
    vi.stubGlobal("navigator", {});
    expect(await browserBattery()).toBeUndefined();
  });
});

describe("alwaysCharging", () => {
  it("reports a full, charging battery", async () => {
    expect(await alwaysCharging()).toEqual({ level: 1, charging: true });
  });
});
