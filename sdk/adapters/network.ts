/** Network probes for FedgeClient's `network` option. */
import type { NetworkStatus, NetworkType } from "../core/api-types";

interface NetworkInformationLike {
  type?: string;
  rtt?: number;
}

const TYPES: Record<string, NetworkType> = { wifi: "wifi", cellular: "cellular", ethernet: "ethernet" };

/**
 * The Network Information API (`navigator.connection`), where the browser has it
 * (Chromium; `type` mostly on Android). Its `rtt` is a coarse estimate, reported only
 * until the client has measured its own.
 */
export async function browserNetwork(): Promise<NetworkStatus | undefined> {
  const nav = (globalThis as { navigator?: { connection?: NetworkInformationLike } }).navigator;
  const connection = nav?.connection;
  if (connection === undefined) return undefined;
  const status: NetworkStatus = { type: TYPES[connection.type ?? ""] ?? "unknown" };
  if (typeof connection.rtt === "number") status.rttMs = connection.rtt;
  return status;
}
