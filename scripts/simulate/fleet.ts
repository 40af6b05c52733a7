/**
 * The simulated fleet: each virtual device has a shard of the corpus, a link of its own
 * speed, a battery that drains when it trains and fills when it charges, and spells
 * offline. Its fetch goes to the local service unless it is offline, and uploads take
 * time in proportion to their size over its link.
 */
import type { FetchLike } from "../../sdk/core/http";
import type { Random } from "../../sdk/spam/random";

export interface DeviceState {
  id: number;
  online: boolean;
  /** Set for the current tick: the link drops after training, before the upload. */
  dropsBeforeUpload: boolean;
  battery: { level: number; charging: boolean };
  /** Uplink bytes per second. */
  uplink: number;
}

export interface FleetOptions {
  /** Probability per tick that an online device goes offline (mid-round). */
  pOffline: number;
  /** Probability per tick that an offline device comes back. */
  pOnline: number;
  /** Simulated seconds per real millisecond of upload delay (speeds the run up). */
  timeScale: number;
}

export function createDevices(n: number, random: Random): DeviceState[] {
  return Array.from({ length: n }, (_, id) => ({
    id,
    online: true,
    dropsBeforeUpload: false,
    // Batteries from nearly flat to full; a quarter of devices start on the charger.
    battery: { level: 0.1 + 0.9 * random(), charging: random() < 0.25 },
    // Links from 2G-like 32 KB/s to fibre-like 4 MB/s, log-uniform.
    uplink: 32_000 * 2 ** (7 * random()),
  }));
}

/** Advances connectivity and batteries by one tick. */
export function tick(devices: DeviceState[], options: FleetOptions, random: Random): void {
  for (const d of devices) {
    if (d.online) d.dropsBeforeUpload = random() < options.pOffline;
    else {
      d.dropsBeforeUpload = false;
      if (random() < options.pOnline) d.online = true;
    }
    if (d.battery.charging) {
      d.battery.level = Math.min(1, d.battery.level + 0.15);
      if (d.battery.level >= 1 && random() < 0.5) d.battery.charging = false;
    } else if (random() < 0.08) {
      d.battery.charging = true;
    }
  }
}

/** Training costs charge in proportion to the work done. */
export function drain(device: DeviceState, workScale: number): void {
  if (!device.battery.charging) device.battery.level = Math.max(0, device.battery.level - 0.06 * workScale);
}

export interface Traffic {
  uploadedBytes: number;
  acceptedUploads: number;
}

/**
 * The device's view of the network: offline means every request fails as fetch does;
 * a device whose link drops mid-round fails its uploads from then on.
 */
export function deviceFetch(
  device: DeviceState,
  service: { fetch(path: string, init?: RequestInit): Promise<Response> },
  traffic: Traffic,
  options: FleetOptions,
): FetchLike {
  return async (input, init) => {
    const url = new URL(input);
    const isUpload = url.pathname.endsWith("/updates") && init?.method === "POST";
    if (!device.online || (isUpload && device.dropsBeforeUpload)) {
      if (isUpload) device.online = false;
      throw new TypeError("fetch failed: device offline");
    }
    let bytes = 0;
    if (isUpload && init?.body instanceof Uint8Array) {
      bytes = init.body.byteLength;
      await new Promise((r) => setTimeout(r, (bytes / device.uplink) * 1000 * options.timeScale));
    }
    // Each virtual device is a phone with an address of its own: the per-address
    // registration limiter (workers/admission.ts) would otherwise see one client.
    const headers = new Headers(init?.headers);
    headers.set(
      "CF-Connecting-IP",
      `10.${(device.id >> 16) & 255}.${(device.id >> 8) & 255}.${device.id & 255}`,
    );
    const res = await service.fetch(url.pathname + url.search, { ...init, headers });
    if (isUpload && res.status === 202) {
      traffic.uploadedBytes += bytes;
      traffic.acceptedUploads += 1;
    }
    return res;
  };
}
