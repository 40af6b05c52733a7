/**
 * The edge's view of a task (config, current model, round), at most a second old: every
 * request needs it, and the coordinator is one object per task, so asking it each time
 * would make it the flat O(n) fan-in that the tree avoids. Two caches: per isolate, and
 * per Cloudflare location (the Cache API, shared by the location's isolates), so the
 * coordinator answers about one call per location per second whatever the number of
 * devices or isolates. That a task does not exist is cached just as long, and concurrent
 * misses in an isolate share one call.
 */
import { createMiddleware } from "hono/factory";
import { coordinatorStub } from "../durable-objects/stubs";
import type { TaskView } from "../durable-objects/task-types";
import { maxPayloadBytes } from "../shared/codecs/layout";
import { FedgeError } from "../shared/errors";
import { FRAME_HEADER_BYTES } from "../shared/protocol/frame";
import { TASK_ID_PATTERN } from "../shared/protocol/task-config";
import type { AppEnv } from "./app-env";

const TTL_MS = 1000;
/** The Cache API's key for a task's view: an internal URL, never fetched. */
const cacheKey = (task: string) => new Request(`https://task-view.fedge.internal/${encodeURIComponent(task)}`);
/** A view, or null for "no such task", with when it was learnt. */
const cache = new Map<string, { view: TaskView | null; at: number }>();
/** The coordinator call each task's next cache entry will come from. */
const refreshes = new Map<string, Promise<TaskView | null>>();

/**
 * The task's view, at most a second old; `fresh` asks the coordinator, in a call that
 * starts no earlier than this one. Throws task_not_found for a task that does not exist.
 */
export async function loadTask(env: Env, task: string, options: { fresh?: boolean } = {}): Promise<TaskView> {
  const hit = cache.get(task);
  const cached = hit && !options.fresh && Date.now() - hit.at < TTL_MS;
  const view = cached ? hit.view : await refresh(env, task, options.fresh === true);
  if (!view) throw new FedgeError("task_not_found", `no task "${task}"`);
  return view;
}

/**
 * Single flight: a miss joins the call in progress unless it must start a fresh one. A
 * non-fresh miss looks in the location's cache first; the entry keeps the time its view
 * was learnt, so a view is never used more than a second after the coordinator gave it.
 */
function refresh(env: Env, task: string, fresh: boolean): Promise<TaskView | null> {
  const pending = refreshes.get(task);
  if (pending && !fresh) return pending;
  const call = (async () => {
    const shared = fresh ? null : await fromLocation(task);
    if (shared) return shared;
    const at = Date.now();
    const view = await coordinatorStub(env, task).getTask();
    await toLocation(task, { view, at });
    return { view, at };
  })()
    .then(({ view, at }) => {
      // Only the latest call may write: an earlier one that lands late holds an older view.
      if (refreshes.get(task) === call) cache.set(task, { view, at });
      return view;
    })
    .finally(() => {
      if (refreshes.get(task) === call) refreshes.delete(task);
    });
  refreshes.set(task, call);
  return call;
}

/** The location's cached view, if it is less than TTL_MS old. */
async function fromLocation(task: string): Promise<{ view: TaskView | null; at: number } | null> {
  const hit = await caches.default.match(cacheKey(task));
  if (!hit) return null;
  const entry = (await hit.json()) as { view: TaskView | null; at: number };
  return Date.now() - entry.at < TTL_MS ? entry : null;
}

async function toLocation(task: string, entry: { view: TaskView | null; at: number }): Promise<void> {
  const response = new Response(JSON.stringify(entry), {
    headers: { "Content-Type": "application/json", "Cache-Control": `max-age=${Math.ceil(TTL_MS / 1000)}` },
  });
  await caches.default.put(cacheKey(task), response);
}

/** A view the caller has just had from the coordinator (task created or changed): it replaces anything cached or in flight. */
export function rememberTask(view: TaskView): void {
  refreshes.delete(view.task.id);
  cache.set(view.task.id, { view, at: Date.now() });
}

/**
 * The largest upload the task can need: no payload of any codec may be larger than the
 * dense-f32 one (docs/codecs.md), deflated or not.
 */
export const maxUploadBytes = (view: TaskView): number =>
  FRAME_HEADER_BYTES + maxPayloadBytes(view.task.config.model.parameters);

/**
 * 409 privacy_budget_spent once the task's privacy budget has no room for another version:
 * training more would only produce updates that can never be published.
 */
export function requirePrivacyBudget(view: TaskView): void {
  const p = view.privacy;
  if (p?.spent) {
    throw new FedgeError(
      "privacy_budget_spent",
      `task "${view.task.id}" has spent its privacy budget (ε = ${p.epsilon.toFixed(3)} of ${p.budget} at δ = ${p.delta}, after ${p.versions} versions); it publishes no further versions`,
    );
  }
}

/** 400 for a `:task` that cannot name a task, before anything else looks at it. */
export const requireTaskId = createMiddleware<AppEnv>(async (c, next) => {
  const id = c.req.param("task") ?? "";
  if (!TASK_ID_PATTERN.test(id)) {
    throw new FedgeError("bad_request", `task id ${JSON.stringify(id)} must match ${TASK_ID_PATTERN.source}`);
  }
  await next();
});

/** 404 for a `:task` that does not exist, before any credential is looked at. */
export const requireKnownTask = createMiddleware<AppEnv>(async (c, next) => {
  await loadTask(c.env, c.req.param("task") ?? "");
  await next();
});
