import { describe, expect, it } from "vitest";
import { mayTrain, workScale } from "./battery-policy";

const policy = { minBatteryLevel: 0.3 };

describe("battery policy", () => {
  it("lets a device train at or above the minimum level, or whenever it is charging", () => {
    expect(mayTrain({ level: 0.3, charging: false }, policy)).toBe(true);
    expect(mayTrain({ level: 0.29, charging: false }, policy)).toBe(false);
    expect(mayTrain({ level: 0.05, charging: true }, policy)).toBe(true);
    expect(mayTrain(undefined, policy)).toBe(true);
  });

  it("scales local work with the charge, between a quarter and all of it", () => {
    expect(workScale({ level: 0.8, charging: false })).toBe(0.8);
    expect(workScale({ level: 0.1, charging: false })).toBe(0.25);
    expect(workScale({ level: 0.1, charging: true })).toBe(1);
    expect(workScale(undefined)).toBe(1);
  });
});
