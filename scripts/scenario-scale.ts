/**
 * `npm run scenario:scale`: fedge in workerd (driven directly through Miniflare) with 1,000,
 * 10,000 and 100,000 registered devices over four regions, a tenth of them active: each
 * active device checks in and uploads a synthetic sparse update for every version. Reports,
 * per population, the aggregation tree's depth and largest fan-in, the messages the
 * coordinator and the busiest tree node receive per version, check-in and upload latency,
 * and every acknowledged update reconciled against what the service counted. `--help`
 * lists the options.
 */

import { seededRandom } from "../sdk/spam/random";
import { intOption, parseOptions, usageExit } from "./cli";
import { FramePool } from "./loadtest/frames";
import { countBar } from "./loadtest/progress";
import { reconcile } from "./loadtest/reconcile";
import { percentiles, round } from "./loadtest/stats";
import { type LocalService, startLocalService } from "./local-service";
import { cfFor, population } from "./scenario/population";

const HELP = `usage: npm run scenario:scale [-- options]

For each population in --registered: a fresh fedge in workerd, one task (synchronous rounds
of all active devices, clusters of --target, tree fan-in --fan-in, no re-clustering during
the run), that many devices registered over four regions with the request.cf of the
clustering scenario, then --active-share of them (the members of each region's
lowest-numbered clusters) check in and upload a top-1% sparse update for each of --versions
versions. Prints a table; --json prints { runs: [...] } last.

  --registered LIST   populations, comma-separated (default 1000,10000,100000)
  --active-share F    share of registered devices active, 0 < F ≤ 1 (default 0.1)
  --versions N        versions to publish per population (default 3)
  --fan-in F          clusters.fanIn (default 32)
  --target N          clusters.targetSize (default 10)
  --params N          model parameters (default 10000)
  --concurrency N     requests in flight (default 32)
  --seed N            seeds the population and the updates (default 1)
  --json              print one JSON object as the last line`;

const usage = usageExit("scenario:scale", HELP);

const opts = parseOptions(
  {
    registered: { type: "string", default: "1000,10000,100000" },
    "active-share": { type: "string", default: "0.1" },
    versions: { type: "string", default: "3" },
    "fan-in": { type: "string", default: "32" },
    target: { type: "string", default: "10" },
    params: { type: "string", default: "10000" },
    concurrency: { type: "string", default: "32" },
    seed: { type: "string", default: "1" },
    json: { type: "boolean" },
    help: { type: "boolean" },
  },
  usage,
);
if (opts.help) {
  console.log(HELP);
  process.exit(0);
}
const int = (name: keyof typeof opts, min: number): number =>
  intOption(name, opts[name] as string | undefined, min, usage);
const populations = String(opts.registered)
  .split(",")
  .map((s) => Number(s.trim()));
if (populations.some((n) => !Number.isInteger(n) || n < 10)) usage(`--registered must list integers ≥ 10`);
const activeShare = Number(opts["active-share"]);
if (!(activeShare > 0 && activeShare <= 1))
  usage(`--active-share must be in (0, 1], got "${opts["active-share"]}"`);
const versions = int("versions", 1);
const fanIn = int("fan-in", 2);
const target = int("target", 1);
const params = int("params", 100);
const concurrency = int("concurrency", 1);
const seed = int("seed", 0);
const say = (line: string) => (opts.json ? process.stderr.write(`${line}\n`) : console.log(line));
const TASK = "scale";
const MAX_RETRY_AFTER_MS = 5_000;

interface Run {
  registered: number;
  active: number;
  treeDepth: number;
  maxFanIn: number;
  /** Partials the coordinator merged for each version after the first (the first is when the tree learns its children). */
  coordinatorMessagesPerVersion: number;
  /** The most partials any tree node or the coordinator merged for one version after the first. */
  maxMessagesPerObjectPerVersion: number;
  /** The same two for the first version. */
  firstVersion: { coordinatorMessages: number; maxMessagesPerObject: number };
  checkinP99Ms: number | null;
  uploadP99Ms: number | null;
  versionsPublished: number;
  lostAcked: number;
  innerLevels: Record<string, number>;
  clusters: number;
  shed: number;
  seconds: number;
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function pool<T>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i] as T, i);
      }
    }),
  );
}

/** A request, retried after 429/503 as the SDK would (no sooner than Retry-After, capped for the run). */
async function send(
  service: LocalService,
  path: string,
  init: RequestInit,
  shed: { count: number },
): Promise<{ res: Response; ms: number }> {
  for (;;) {
    const started = performance.now();
    const res = await service.fetch(path, init);
    const ms = performance.now() - started;
    if (res.status !== 429 && res.status !== 503) return { res, ms };
    shed.count += 1;
    await res.body?.cancel();
    const after = Number(res.headers.get("Retry-After") ?? "1");
    await new Promise((r) =>
      setTimeout(r, Math.min(MAX_RETRY_AFTER_MS, Math.max(50, after * 1000 * Math.random()))),
    );
  }
}

interface TreeStats {
  coordinator: number;
  nodes: Map<string, number>;
  maxFanIn: number;
  clusters: number;
  innerLevels: Record<string, number>;
}

/** Every region's tree, node by node: partials merged so far, children heard from. */
async function treeStats(service: LocalService, regions: string[], admin: HeadersInit): Promise<TreeStats> {
  const stats: TreeStats = { coordinator: 0, nodes: new Map(), maxFanIn: 0, clusters: 0, innerLevels: {} };
  for (const region of regions) {
    const res = await service.fetch(`/v1/admin/tasks/${TASK}/regions/${region}/tree`, { headers: admin });
    if (res.status !== 200) throw new Error(`tree of ${region}: ${res.status} ${await res.text()}`);
    const tree = (await res.json()) as {
      innerLevels: number;
      clusters: number;
      nodes: { name: string; children: number; partials: number }[];
      coordinator: { partials: number };
    };
    stats.innerLevels[region] = tree.innerLevels;
    stats.clusters += tree.clusters;
    for (const n of tree.nodes) {
      stats.maxFanIn = Math.max(stats.maxFanIn, n.children);
      stats.nodes.set(n.name, n.partials);
    }
    stats.coordinator = tree.coordinator.partials;
  }
  return stats;
}

/** Partials merged between two snapshots: the coordinator's, and the most any one node merged. */
function delta(before: TreeStats, after: TreeStats): { coordinator: number; maxPerObject: number } {
  let most = after.coordinator - before.coordinator;
  for (const [name, n] of after.nodes) most = Math.max(most, n - (before.nodes.get(name) ?? 0));
  return { coordinator: after.coordinator - before.coordinator, maxPerObject: most };
}

async function runOne(registered: number, build: boolean): Promise<Run> {
  const started = performance.now();
  const service = await startLocalService({ skipBuild: !build, outdir: ".wrangler/scenario-scale" });
  try {
    const admin = { Authorization: `Bearer ${service.adminToken}`, "Content-Type": "application/json" };
    const active = Math.max(1, Math.round(registered * activeShare));
    const created = await service.fetch(`/v1/admin/tasks/${TASK}`, {
      method: "PUT",
      headers: admin,
      body: JSON.stringify({
        model: { parameters: params, layout: [{ name: "w", shape: [params], offset: 0 }] },
        // Synchronous rounds: a version when every active device's update is in, each tier
        // flushing when all its active children have reported (the deadline only as a backstop).
        aggregation: { mode: "sync" },
        round: { targetUpdates: active, deadlineSeconds: 600 },
        clusters: { targetSize: target, fanIn, reclusterSeconds: 0 },
        limits: { clipping: { kind: "off" } },
        compression: { density: 0.01, bits: 8 },
      }),
    });
    if (created.status !== 201)
      throw new Error(`creating the task: ${created.status} ${await created.text()}`);
    const shed = { count: 0 };

    say(`\n${registered} registered devices, ${active} active`);
    const people = population(registered, seed);
    const devices: { id: string; token: string; region: string; cluster: number; layoutHash: string }[] = [];
    const registering = countBar(registered, "registered");
    await pool(people, concurrency, async (person, i) => {
      const { res } = await send(
        service,
        `/v1/tasks/${TASK}/devices`,
        { method: "POST", headers: { "CF-Connecting-IP": person.ip }, cf: cfFor(person) } as RequestInit,
        shed,
      );
      if (res.status !== 201) throw new Error(`registration: ${res.status} ${await res.text()}`);
      const body = (await res.json()) as {
        deviceId: string;
        token: string;
        region: string;
        cluster: number;
        task: { layoutHash: string };
      };
      devices[i] = {
        id: body.deviceId,
        token: body.token,
        region: body.region,
        cluster: body.cluster,
        layoutHash: body.task.layoutHash,
      };
      registering(devices.filter(Boolean).length);
    });
    // The active devices: each region's lowest-numbered clusters, in proportion to its devices.
    const regions = [...new Set(devices.map((d) => d.region))].sort();
    const chosen = regions.flatMap((region) => {
      const inRegion = devices.filter((d) => d.region === region).sort((a, b) => a.cluster - b.cluster);
      return inRegion.slice(0, Math.round((inRegion.length / registered) * active));
    });
    const frames = new FramePool({
      parameters: params,
      density: 0.01,
      bits: 8,
      layoutHash: chosen[0]?.layoutHash ?? "",
      seed,
    });
    const random = seededRandom(seed + 99);

    let snapshot = await treeStats(service, regions, admin);
    const perVersion: { coordinator: number; maxPerObject: number }[] = [];
    const checkinMs: number[] = [];
    const uploadMs: number[] = [];
    let acked = 0;
    let version = 0;
    for (let v = 0; v < versions; v++) {
      const uploading = countBar(chosen.length, `uploaded for version ${v}`);
      let done = 0;
      await pool(chosen, concurrency, async (d) => {
        const auth = { Authorization: `Bearer ${d.token}`, "Content-Type": "application/json" };
        const checkin = await send(
          service,
          `/v1/tasks/${TASK}/checkin`,
          { method: "POST", headers: auth, body: "{}" },
          shed,
        );
        checkinMs.push(checkin.ms);
        const answer = (await checkin.res.json()) as {
          action: string;
          token?: string;
          upload?: { baseVersion: number };
        };
        if (answer.token) d.token = answer.token;
        if (answer.action !== "train" || !answer.upload) return;
        const upload = frames.upload(d.id, random, answer.upload.baseVersion, 1);
        const sent = await send(
          service,
          `/v1/tasks/${TASK}/updates`,
          {
            method: "POST",
            headers: { Authorization: `Bearer ${d.token}`, "Content-Type": "application/octet-stream" },
            body: upload.frame,
          },
          shed,
        );
        uploadMs.push(sent.ms);
        if (sent.res.status === 202) acked += 1;
        else say(`upload refused: ${sent.res.status} ${await sent.res.text()}`);
        await sent.res.body?.cancel();
        uploading(++done);
      });
      // The version this pass makes, before the next pass trains on it.
      const deadline = performance.now() + 120_000;
      for (;;) {
        const view = (await (await service.fetch(`/v1/admin/tasks/${TASK}`, { headers: admin })).json()) as {
          model: { version: number };
        };
        version = view.model.version;
        if (version > v || performance.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      const next = await treeStats(service, regions, admin);
      perVersion.push(delta(snapshot, next));
      snapshot = next;
    }
    const rec = await reconcile(service, {
      task: TASK,
      adminToken: service.adminToken,
      acked,
      quietMs: 3_000,
      timeoutMs: 60_000,
    });

    const status = (await (await service.fetch(`/v1/tasks/${TASK}/status`, { headers: admin })).json()) as {
      tree: { depth: number };
    };
    const p99 = (xs: number[]) => percentiles(xs)?.p99 ?? null;
    const steady = perVersion.slice(1);
    const mean = (xs: number[]) => (xs.length ? round(xs.reduce((a, b) => a + b, 0) / xs.length, 2) : 0);
    return {
      registered,
      active: chosen.length,
      treeDepth: status.tree.depth,
      maxFanIn: snapshot.maxFanIn,
      coordinatorMessagesPerVersion: mean(steady.map((d) => d.coordinator)),
      maxMessagesPerObjectPerVersion: Math.max(0, ...steady.map((d) => d.maxPerObject)),
      firstVersion: {
        coordinatorMessages: perVersion[0]?.coordinator ?? 0,
        maxMessagesPerObject: perVersion[0]?.maxPerObject ?? 0,
      },
      checkinP99Ms: p99(checkinMs),
      uploadP99Ms: p99(uploadMs),
      versionsPublished: version,
      lostAcked: rec.lostAcked,
      innerLevels: snapshot.innerLevels,
      clusters: snapshot.clusters,
      shed: shed.count,
      seconds: Math.round((performance.now() - started) / 1000),
    };
  } finally {
    await service.dispose();
  }
}

const runs: Run[] = [];
for (const [i, registered] of populations.entries()) runs.push(await runOne(registered, i === 0));

say("");
say(
  `${"registered".padEnd(12)}${"active".padEnd(9)}${"depth".padEnd(7)}${"max fan-in".padEnd(12)}${"coord msgs/v".padEnd(14)}${"max msgs/obj/v".padEnd(16)}${"check-in p99".padEnd(14)}${"upload p99".padEnd(12)}${"versions".padEnd(10)}lost`,
);
for (const r of runs)
  say(
    `${String(r.registered).padEnd(12)}${String(r.active).padEnd(9)}${String(r.treeDepth).padEnd(7)}${String(r.maxFanIn).padEnd(12)}${String(r.coordinatorMessagesPerVersion).padEnd(14)}${String(r.maxMessagesPerObjectPerVersion).padEnd(16)}${`${r.checkinP99Ms} ms`.padEnd(14)}${`${r.uploadP99Ms} ms`.padEnd(12)}${String(r.versionsPublished).padEnd(10)}${r.lostAcked}`,
  );
if (opts.json) console.log(JSON.stringify({ runs, fanIn, target }));
