/**
 * The cross-region harness's entry around fedge's deploy build (`npm run test:regions`;
 * scripts/local-service.ts copies it next to the build as the entry module), never deployed;
 * fedge's code does not know it. It delays every call between tiers — edge → Durable
 * Object and Durable Object → Durable Object — as if the caller and callee were in their
 * regions: the REGION_LATENCY binding (JSON) gives one-way milliseconds per region pair,
 *
 *   { "sameRegionMs": 2, "defaultMs": 40, "pairs": { "weur>enam": 45, … } }
 *
 * applied once on the way out and once on the way back. The callee's region is the stub's
 * locationHint (every regional stub has one, durable-objects/stubs.ts; a coordinator's without
 * one is in the REGION_LATENCY's coordinatorRegion); the caller's is the
 * request's X-Fedge-Region at the edge, or the region in its object's name
 * (`task/region[/cN]`). GET /__regions/latency answers the calls and milliseconds injected
 * per pair.
 */
import * as build from "./index.js";

export * from "./index.js";

const BINDINGS = ["DIRECTORY", "CLUSTER", "REGION", "COORDINATOR"];
/** `"from>to"` → { calls, ms }. */
const injected = {};
let config = null;

function latencyConfig(env) {
  config ??= JSON.parse(env.REGION_LATENCY ?? "{}");
  return config;
}

function oneWayMs(env, from, to) {
  const c = latencyConfig(env);
  if (!from || !to) return 0;
  if (from === to) return c.sameRegionMs ?? 0;
  return c.pairs?.[`${from}>${to}`] ?? c.pairs?.[`${to}>${from}`] ?? c.defaultMs ?? 0;
}

const sleep = (ms) => (ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve());

/** A stub whose every call takes the pair's latency out and back. */
function delayedStub(stub, env, from, to) {
  const ms = oneWayMs(env, from, to);
  return new Proxy(stub, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof prop !== "string" || prop === "then" || prop === "id" || typeof value !== "function") {
        return value;
      }
      return async (...args) => {
        const pair = `${from}>${to}`;
        injected[pair] ??= { calls: 0, ms: 0 };
        injected[pair].calls += 1;
        injected[pair].ms += 2 * ms;
        await sleep(ms);
        const result = await target[prop](...args);
        await sleep(ms);
        return result;
      };
    },
  });
}

/** `env` whose Durable Object namespaces hand out delayed stubs, for a caller in `from`. */
function delayedEnv(env, from) {
  const wrapped = {};
  for (const binding of BINDINGS) {
    const namespace = env[binding];
    if (!namespace) throw new Error(`region harness: the build has no ${binding} binding`);
    wrapped[binding] = new Proxy(namespace, {
      get(target, prop) {
        if (prop === "get") {
          return (id, options) => {
            const to =
              options?.locationHint ??
              (binding === "COORDINATOR" ? latencyConfig(env).coordinatorRegion : undefined);
            if (!to) throw new Error(`region harness: a ${binding} stub without a locationHint`);
            return delayedStub(target.get(id, options), env, from, to);
          };
        }
        const value = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  }
  return new Proxy(env, {
    get: (target, prop) => (BINDINGS.includes(prop) ? wrapped[prop] : Reflect.get(target, prop)),
  });
}

/** The region in an object's name (`task/region` or `task/region/cN`); a coordinator's name is the task alone. */
function regionOf(ctx, env) {
  const name = ctx.id.name;
  if (typeof name !== "string") throw new Error("region harness: a Durable Object without its name");
  const region = name.split("/")[1];
  return region ?? latencyConfig(env).coordinatorRegion;
}

function tier(base) {
  if (typeof base !== "function") throw new Error("region harness: the build lacks a tier class");
  return class extends base {
    constructor(ctx, env) {
      super(ctx, delayedEnv(env, regionOf(ctx, env)));
    }
  };
}

export const Directory = tier(build.Directory);
export const ClusterAggregator = tier(build.ClusterAggregator);
export const RegionAggregator = tier(build.RegionAggregator);
export const Coordinator = tier(build.Coordinator);

export default {
  fetch(request, env, ctx) {
    if (new URL(request.url).pathname === "/__regions/latency") return Response.json(injected);
    const from = request.headers.get("X-Fedge-Region") ?? latencyConfig(env).coordinatorRegion;
    return build.default.fetch(request, delayedEnv(env, from), ctx);
  },
};
