/** Battery probes for FedgeClient's `battery` option. */
import type { BatteryStatus } from "../core/battery-policy";

export type BatteryProbe = () => Promise<BatteryStatus | undefined>;

interface BatteryManagerLike {
  level: number;
  charging: boolean;
}

/**
 * The Battery Status API (`navigator.getBattery()`), where the browser has it (Chromium);
 * elsewhere the battery is unknown, which never blocks training.
 */
export const browserBattery: BatteryProbe = async () => {
  const nav = (globalThis as { navigator?: { getBattery?: () => Promise<BatteryManagerLike> } }).navigator;
  if (typeof nav?.getBattery !== "function") return undefined;
  const battery = await nav.getBattery();
  return { level: battery.level, charging: battery.charging };
};

/** For mains-powered devices (a Node server, an edge box): always full and charging. */
export const alwaysCharging: BatteryProbe = async () => ({ level: 1, charging: true });
