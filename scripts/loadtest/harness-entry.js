/**
 * The load test's harness around fedge's deploy build: the entry module of every
 * `npm run loadtest` (scripts/local-service.ts copies it next to the build), never
 * deployed; fedge's code does not know it. It re-exports the build with its four Durable
 * Object classes subclassed, to:
 *
 * - **count SQLite rows written**, per tier: every statement's `cursor.rowsWritten`, the
 *   figure Cloudflare bills a SQLite-backed Durable Object by (each row of a table or of an
 *   index a statement writes or deletes). GET /__loadtest/rows answers the totals since
 *   this workerd started. Read when exec returns: the statements fedge writes with run
 *   to completion there (none returns rows).
 * - **inject faults**, as the LOADTEST_FAULTS binding (JSON) asks (`--stress`):
 *
 *   abortAfterAckEvery: k  Every k-th partial a cluster or region delivers, the sender is
 *                          reset with ctx.abort() — what eviction does to a running object
 *                          — right after its parent acknowledged the partial and before the
 *                          sender has recorded the ack: an eviction mid-flush, in the window
 *                          where the parent holds a batch the child still holds too.
 *   slowParentMs: d        Region aggregators take cluster partials one at a time, d ms
 *                          each: a parent that cannot keep up with its children.
 *
 *   GET /__loadtest/faults answers what was injected.
 *
 * Each wrapped method is checked at start-up, so a renamed one fails loudly instead of
 * silently injecting nothing.
 */
import * as build from "./index.js";

export * from "./index.js";

const counters = { delivered: 0, abortedAfterAck: 0, slowedPartials: 0 };
const rowsWritten = { cluster: 0, region: 0, coordinator: 0, directory: 0 };

const tierOf = new WeakMap();
let counted = false;

/**
 * Counts the rows `ctx`'s SQLite statements write under `tier`. The SqlStorage prototype's
 * exec is wrapped once (each object's storage.sql is one object, its key here): a proxy
 * around ctx would not do, as the Durable Object base class takes only the real one.
 */
function countRows(ctx, tier) {
  const sql = ctx.storage.sql;
  tierOf.set(sql, tier);
  if (counted) return;
  counted = true;
  const prototype = Object.getPrototypeOf(sql);
  const exec = prototype.exec;
  prototype.exec = function (...args) {
    const cursor = exec.apply(this, args);
    const owner = tierOf.get(this);
    if (owner) rowsWritten[owner] += cursor.rowsWritten;
    return cursor;
  };
}

let config = null;

function faults(env) {
  config ??= JSON.parse(env.LOADTEST_FAULTS ?? "{}");
  return config;
}

for (const [cls, method] of [
  [build.RegionAggregator, "ingestPartial"],
  [build.Coordinator, "ingestPartial"],
]) {
  if (typeof cls?.prototype?.[method] !== "function") {
    throw new Error(`load test harness: the build's ${cls?.name ?? "class"} has no method ${method}`);
  }
}

/** The parent's stub as the sender sees it, aborting the sender after every k-th acknowledged partial. */
function abortingStub(stub, ctx, every) {
  return new Proxy(stub, {
    get(target, prop) {
      if (prop !== "ingestPartial") return Reflect.get(target, prop);
      return async (...args) => {
        const ack = await target.ingestPartial(...args);
        counters.delivered += 1;
        if (counters.delivered % every === 0) {
          counters.abortedAfterAck += 1;
          ctx.abort("load test: evicted mid-flush, after the parent's ack");
        }
        return ack;
      };
    },
  });
}

/** `env` with the parent namespace's stubs wrapped, when aborts are asked for. */
function senderEnv(env, ctx, binding) {
  const every = faults(env).abortAfterAckEvery ?? 0;
  if (!(every > 0)) return env;
  const namespace = env[binding];
  const wrapped = new Proxy(namespace, {
    get(target, prop) {
      if (prop === "get") return (id, options) => abortingStub(target.get(id, options), ctx, every);
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return new Proxy(env, { get: (target, prop) => (prop === binding ? wrapped : Reflect.get(target, prop)) });
}

export class ClusterAggregator extends build.ClusterAggregator {
  constructor(ctx, env) {
    countRows(ctx, "cluster");
    super(ctx, senderEnv(env, ctx, "REGION"));
  }
}

export class RegionAggregator extends build.RegionAggregator {
  #turn = Promise.resolve();

  constructor(ctx, env) {
    countRows(ctx, "region");
    super(ctx, senderEnv(env, ctx, "COORDINATOR"));
  }

  ingestPartial(...args) {
    const delay = faults(this.env).slowParentMs ?? 0;
    if (!(delay > 0)) return super.ingestPartial(...args);
    const run = this.#turn
      .then(() => new Promise((resolve) => setTimeout(resolve, delay)))
      .then(() => {
        counters.slowedPartials += 1;
        return super.ingestPartial(...args);
      });
    this.#turn = run.catch(() => {});
    return run;
  }
}

export class Coordinator extends build.Coordinator {
  constructor(ctx, env) {
    countRows(ctx, "coordinator");
    super(ctx, env);
  }
}

export class Directory extends build.Directory {
  constructor(ctx, env) {
    countRows(ctx, "directory");
    super(ctx, env);
  }
}

export default {
  fetch(request, env, ctx) {
    const path = new URL(request.url).pathname;
    if (path === "/__loadtest/faults") return Response.json(counters);
    if (path === "/__loadtest/rows") return Response.json(rowsWritten);
    return build.default.fetch(request, env, ctx);
  },
};
