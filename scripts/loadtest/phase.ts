/**
 * One measured phase: the load it runs, and what the service's workerd spent meanwhile
 * and while it settled afterwards (flushes and alarms the phase's requests caused belong
 * to them), with the load generator's own CPU and everyone else's on the machine, so a
 * busy machine shows in the figures rather than only in them.
 */
import { settle } from "./drive";
import { machineBusyMs, type ProcessMeter, selfCpuMs, subtract, type Usage } from "./proc";
import { PhaseRecorder } from "./stats";

export interface PhaseResult {
  name: string;
  rec: PhaseRecorder;
  windowMs: number;
  /** The measured service's workerd: CPU and bytes written, phase plus settling. */
  usage: Usage;
  /** SQLite rows its Durable Objects wrote over the same span, by tier (fedge only; null when unknown). */
  rows: Record<string, number> | null;
  /** The other service's workerd meanwhile (leftover background work), in % of one core. */
  otherServiceCpuPercent: number;
  settleMs: number;
  /** The load generator's CPU, in % of one core over the phase and settling. */
  clientCpuPercent: number;
  /** Every other process on the machine (not this one, not either workerd), in % of one core. */
  otherCpuPercent: number;
}

export interface PhaseSetup {
  name: string;
  devices: number;
  windowMs: number;
  /** The service whose usage is reported, and every service's meter (to subtract from the machine's). */
  meter: ProcessMeter;
  meters: ProcessMeter[];
  /** Settling: at least the first (the tiers' waits), at most the second. */
  settleMs: [number, number];
  /** Reads the service's SQLite rows written so far, by tier (fedge's harness entry). */
  rows?: () => Promise<Record<string, number> | null>;
}

export async function measure(
  s: PhaseSetup,
  load: (rec: PhaseRecorder) => Promise<void>,
): Promise<PhaseResult> {
  const rows0 = await s.rows?.();
  const usage0 = s.meter.read();
  const all0 = total(s.meters);
  const machine0 = machineBusyMs();
  const self0 = selfCpuMs();
  const rec = new PhaseRecorder(s.devices, performance.now());
  await load(rec);
  const settleMs = await settle(s.meter, ...s.settleMs);
  const elapsed = performance.now() - rec.startedAt;
  const self = selfCpuMs() - self0;
  const services = total(s.meters) - all0;
  const other = machineBusyMs() - machine0 - self - services;
  const usage = subtract(s.meter.read(), usage0);
  const rows1 = await s.rows?.();
  return {
    name: s.name,
    rec,
    windowMs: s.windowMs,
    usage,
    rows: rows0 && rows1 ? rowsBetween(rows0, rows1) : null,
    otherServiceCpuPercent: Math.round((100 * (services - usage.cpuMs)) / elapsed),
    settleMs: Math.round(settleMs),
    clientCpuPercent: Math.round((100 * self) / elapsed),
    otherCpuPercent: Math.max(0, Math.round((100 * other) / elapsed)),
  };
}

/** Accepted updates per second inside a phase's window. */
export function perSec(p: PhaseResult): number {
  return p.rec.acceptedInWindow / (p.windowMs / 1000);
}

function total(meters: ProcessMeter[]): number {
  return meters.reduce((s, m) => s + m.read().cpuMs, 0);
}

/** Rows written between two readings, by tier; null if the counts went back (workerd restarted in between). */
function rowsBetween(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> | null {
  const rows: Record<string, number> = {};
  for (const [tier, n] of Object.entries(after)) {
    const d = n - (before[tier] ?? 0);
    if (d < 0) return null;
    rows[tier] = d;
  }
  return rows;
}
