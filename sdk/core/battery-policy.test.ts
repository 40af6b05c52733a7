import { describe, expect, it } from "vitest";
import { DEFAULT_POLICY, mayTrain, workScale } from "./battery-policy";

describe("mayTrain (the server's rule, applied on the device)", () => {
  it("defaults to a 20 % minimum until the server sends a policy", () => {
    expect(mayTrain({ level: 0.19, charging: false }, DEFAULT_POLICY)).toBe(false);
    expect(mayTrain({ level: 0.2, charging: false }, DEFAULT_POLICY)).toBe(true);
  });

  it("allows any level while charging, and an unknown battery", () => {
    expect(mayTrain({ level: 0.01, charging: true }, DEFAULT_POLICY)).toBe(true);
    expect(mayTrain(undefined, DEFAULT_POLICY)).toBe(true);
  });
});

describe("workScale", () => {
  it("takes the smaller of the server's scale and the battery's", () => {
    expect(workScale({ level: 0.6, charging: false }, { minBatteryLevel: 0.2, workScale: 0.8 })).toBe(0.6);
    expect(workScale({ level: 0.9, charging: false }, { minBatteryLevel: 0.2, workScale: 0.5 })).toBe(0.5);
    expect(workScale({ level: 0.1, charging: true }, { minBatteryLevel: 0.2, workScale: 0.5 })).toBe(0.5);
  });

  it("lets the battery ask for no less than a quarter of the work", () => {
    expect(workScale({ level: 0.1, charging: false }, DEFAULT_POLICY)).toBe(0.25);
  });

  it("stays in (0, 1] whatever the server sends", () => {
    expect(workScale(undefined, { minBatteryLevel: 0.2, workScale: 3 })).toBe(1);
    expect(workScale(undefined, { minBatteryLevel: 0.2, workScale: 0 })).toBe(1);
  });
});
