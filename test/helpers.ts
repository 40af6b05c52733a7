/** Drives the edge Worker the way devices and operators do, over its HTTP API. */
import { runInDurableObject } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { expect, onTestFinished, vi } from "vitest";
import type { AdminTaskViewBody, CheckinAnswer, Manifest, Registration } from "../shared/protocol/api";
import { encodeDenseF32Frame, randomUpdateId } from "../shared/protocol/frame";
import type { TaskConfigInput } from "../shared/protocol/task-config";
import type { Region } from "../shared/regions";
import { flatModel } from "./fixtures";

export { correlation, flatModel, meanAndStd, seededVector } from "./fixtures";

export const ADMIN_TOKEN = "test-admin-token";
export const TOKEN_SECRET = "test-token-secret";
const BASE = "https://fedge.test";

export function api(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(`${BASE}${path}`, init));
}

export function adminHeaders(): HeadersInit {
  return { Authorization: `Bearer ${ADMIN_TOKEN}`, "Content-Type": "application/json" };
}

export async function createTask(task: string, config: TaskConfigInput): Promise<Response> {
  const res = await api(`/v1/admin/tasks/${task}`, {
    method: "PUT",
    headers: adminHeaders(),
    body: JSON.stringify(config),
  });
  return res;
}

export interface Device {
  deviceId: string;
  token: string;
  region: Region;
  cluster: number;
  layoutHash: string;
}

/** Registers a device without checking it in: it is no member of its cluster yet. */
export async function registerOnly(task: string, region: Region): Promise<Device> {
  const res = await api(`/v1/tasks/${task}/devices`, {
    method: "POST",
    headers: { "X-Fedge-Region": region },
  });
  expect(res.status).toBe(201);
  const body = (await res.json()) as Registration;
  return { ...body, layoutHash: body.task.layoutHash };
}

export function checkin(task: string, device: Device, body: unknown = {}): Promise<Response> {
  return api(`/v1/tasks/${task}/checkin`, {
    method: "POST",
    headers: { Authorization: `Bearer ${device.token}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** Checks a device in and expects it to be assigned the current version; returns that version. */
export async function assign(task: string, device: Device): Promise<number> {
  const res = await checkin(task, device);
  expect(res.status).toBe(200);
  const body = (await res.json()) as CheckinAnswer;
  if (body.action !== "train") throw new Error(`expected a train answer, got ${JSON.stringify(body)}`);
  return body.upload.baseVersion;
}

/** Registers a device and checks it in, so it is a member assigned the current version. */
export async function register(task: string, region: Region): Promise<Device> {
  const device = await registerOnly(task, region);
  await assign(task, device);
  return device;
}

export interface UploadOptions {
  sampleWeight: number;
  baseVersion?: number;
  updateId?: string;
}

export function uploadFrame(task: string, token: string, frame: Uint8Array): Promise<Response> {
  return api(`/v1/tasks/${task}/updates`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/octet-stream" },
    body: frame,
  });
}

export function denseFrame(device: Device, values: Float32Array, options: UploadOptions): Uint8Array {
  return encodeDenseF32Frame(values, {
    baseVersion: options.baseVersion ?? 0,
    sampleWeight: options.sampleWeight,
    updateId: options.updateId ?? randomUpdateId(),
    layoutHash: device.layoutHash,
  });
}

export async function upload(task: string, device: Device, values: Float32Array, options: UploadOptions) {
  return uploadFrame(task, device.token, denseFrame(device, values, options));
}

export type { Manifest };

export async function manifest(task: string): Promise<Manifest> {
  const res = await api(`/v1/tasks/${task}/model`, { headers: adminHeaders() });
  expect(res.status).toBe(200);
  return (await res.json()) as Manifest;
}

export async function weights(task: string, version: number): Promise<Float32Array> {
  const res = await api(`/v1/tasks/${task}/model/${version}/weights`, { headers: adminHeaders() });
  expect(res.status).toBe(200);
  return new Float32Array(await res.arrayBuffer());
}

/** The admin view, `GET /v1/admin/tasks/:task`. */
export async function taskStatus(task: string): Promise<AdminTaskViewBody> {
  const res = await api(`/v1/admin/tasks/${task}`, { headers: adminHeaders() });
  expect(res.status).toBe(200);
  return (await res.json()) as AdminTaskViewBody;
}

/**
 * Polls the admin view (which reads the coordinator directly; the device-facing manifest
 * may be a second stale) until the task reaches `version`: flushes run in the background.
 */
export async function waitForVersion(
  task: string,
  version: number,
  timeoutMs = 10_000,
): Promise<AdminTaskViewBody> {
  const start = Date.now();
  for (;;) {
    const view = await taskStatus(task);
    if (view.model.version >= version) return view;
    if (Date.now() - start > timeoutMs) {
      throw new Error(`task ${task} stayed at version ${view.model.version}, wanted ${version}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The oracle: w0 + Σ nᵢxᵢ / Σ nᵢ in float64, computed independently of the service. */
export function weightedAverageStep(
  initial: Float32Array,
  updates: { values: Float32Array; n: number }[],
): Float64Array {
  const total = updates.reduce((s, u) => s + u.n, 0);
  const out = Float64Array.from(initial);
  for (const u of updates) for (let j = 0; j < out.length; j++) out[j]! += (u.n * u.values[j]!) / total;
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/**
 * A task with one cluster (in weur) of `size` registered devices, whose round closes at
 * `size` updates and whose deadline is far away: only the tiers' own rules move updates.
 */
export async function oneClusterTask(
  task: string,
  size: number,
  dim: number,
  seed: number,
): Promise<Device[]> {
  const created = await createTask(task, {
    model: { ...flatModel(dim), init: { kind: "uniform", scale: 1, seed } },
    round: { targetUpdates: size, deadlineSeconds: 3600 },
    clusters: { targetSize: size },
  });
  expect(created.status).toBe(201);
  const devices: Device[] = [];
  for (let i = 0; i < size; i++) devices.push(await register(task, "weur"));
  return devices;
}

/**
 * Freezes Date (in the test and in every Durable Object, which share its isolate) a day
 * ahead, so alarms set from it never fire on their own during the test: only
 * runDurableObjectAlarm runs them. Returns a function that moves the frozen clock.
 */
export function freezeTime(start = Date.now() + 86_400_000): (at: number) => void {
  vi.useFakeTimers({ toFake: ["Date"] });
  onTestFinished(() => {
    vi.useRealTimers();
  });
  vi.setSystemTime(start);
  return (at: number) => vi.setSystemTime(at);
}

/** The alarm a Durable Object has set, or null. */
export function alarmOf(stub: DurableObjectStub): Promise<number | null> {
  return runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
}
