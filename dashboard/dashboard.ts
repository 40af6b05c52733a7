/**
 * The monitoring page, served by the Worker's static assets at /dashboard: asks for the
 * admin token once (kept in sessionStorage, see session.ts), polls
 * GET /v1/tasks/:task/status every two seconds and draws it. Every number written on the
 * page is a value of that JSON, named by the `data-path` of its element.
 */
import type { TaskStatus } from "#wire/workers/status";
import { bars, Chart, COLOURS, categories, line, powersOfTen } from "./chart";
import { bytes, count, decimal, duration, type Format, percent, perSecond, show, times } from "./format";
import {
  type CompressionPoint,
  clustersByRegion,
  compressionOverTime,
  evaluationByVersion,
  flushesByTier,
  integrityBars,
  integrityCounts,
  latencyByStage,
  latestEvaluated,
  recordCompression,
  regionsOf,
  stagesOf,
  tiersOf,
  updatesPerSecondOverTime,
} from "./series";
import { forgetToken, initialTask, storedToken, storeTask, storeToken } from "./session";
import "./dashboard.css";

const POLL_MS = 2000;
const FORMATS: Record<string, Format> = { count, decimal, perSecond, percent, duration, times, bytes };
const STAGE_NAMES: Record<string, string> = {
  edge: "edge → cluster",
  cluster_ingest: "cluster ingest",
  in_cluster: "in cluster",
  "flush/cluster": "cluster → region",
  region: "in region",
  "flush/region": "region → coord.",
  coordinator_apply: "apply",
  "flush/coordinator": "publish",
  end_to_end: "end to end",
};

const $ = <T extends HTMLElement>(selector: string) => document.querySelector<T>(selector)!;

let status: TaskStatus | null = null;
const compression: CompressionPoint[] = [];
let polling: { task: string; timer?: ReturnType<typeof setTimeout> } | null = null;

const charts = createCharts();

function createCharts() {
  const figure = (name: string) => $(`figure[data-chart="${name}"]`);
  const stages = categories(() => (status ? stagesOf(status).map((s) => STAGE_NAMES[s] ?? s) : []));
  const regions = categories(() => (status ? regionsOf(status) : []));
  const tiers = categories(() => (status ? tiersOf(status) : []));
  const kinds = categories(() =>
    status ? integrityCounts(status).map((c) => c.key.replaceAll("_", " ")) : [],
  );
  const ms = (v: number) => (v >= 1000 ? `${v / 1000} s` : `${v} ms`);
  // Axis labels at powers of ten: "1 kB", not "1.00 kB".
  const byteTick = (v: number) => bytes(v).replace(/\.0+ /, " ");
  const fromZero = {
    range: (_u: unknown, _min: number, max: number): [number, number] => [0, Math.max(1, max) * 1.15],
  };
  const integers = { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] };
  return {
    evaluation: new Chart(figure("evaluation"), {
      scales: { x: { time: false }, acc: { range: [0, 1] } },
      series: [
        { label: "version" },
        line("accuracy", COLOURS.green, { scale: "acc" }),
        line("loss", COLOURS.orange, { scale: "loss" }),
      ],
      axes: [
        { ...integers, label: "version", labelSize: 16 },
        { scale: "acc", values: (_u, ticks) => ticks.map((t) => `${Math.round(t * 100)}%`) },
        { scale: "loss", side: 1, grid: { show: false } },
      ],
    }),
    throughput: new Chart(figure("throughput"), {
      scales: { y: fromZero },
      series: [{}, line("updates/s", COLOURS.blue, { fill: `${COLOURS.blue}22` })],
      axes: [{}, { values: (_u, ticks) => ticks.map((t) => `${t}/s`), size: 56 }],
    }),
    latency: new Chart(figure("latency"), {
      scales: { x: stages.scale, y: { distr: 3, log: 10 } },
      series: [
        {},
        bars("p99", COLOURS.violet, { size: 0.7, log: true }),
        bars("p95", COLOURS.blue, { size: 0.48, log: true }),
        bars("p50", COLOURS.green, { size: 0.26, log: true }),
      ],
      axes: [stages.axis, { ...powersOfTen("y", ms), size: 60 }],
    }),
    compression: new Chart(figure("compression"), {
      scales: { y: { distr: 3, log: 10 } },
      series: [{}, line("dense f32", COLOURS.orange), line("sent", COLOURS.blue)],
      axes: [{}, { ...powersOfTen("y", byteTick), size: 64 }],
    }),
    regions: new Chart(figure("regions"), {
      scales: { x: regions.scale, y: fromZero, devices: fromZero },
      series: [
        {},
        bars("clusters", COLOURS.green, { size: 0.35, align: -1 }),
        bars("devices", COLOURS.blue, { size: 0.35, align: 1, scale: "devices" }),
      ],
      axes: [
        regions.axis,
        { ...integers, label: "clusters", labelSize: 16 },
        { ...integers, scale: "devices", side: 1, grid: { show: false }, label: "devices", labelSize: 16 },
      ],
    }),
    flushes: new Chart(figure("flushes"), {
      scales: { x: tiers.scale, y: fromZero, per: fromZero },
      series: [
        {},
        bars("batches", COLOURS.violet, { size: 0.35, align: -1 }),
        bars("updates per batch", COLOURS.yellow, { size: 0.35, align: 1, scale: "per" }),
      ],
      axes: [
        tiers.axis,
        { label: "batches", labelSize: 16 },
        { scale: "per", side: 1, grid: { show: false }, label: "updates / batch", labelSize: 16 },
      ],
    }),
    integrity: new Chart(figure("integrity"), {
      scales: { x: kinds.scale, y: fromZero },
      series: [
        {},
        bars("refused", COLOURS.red),
        bars("shed", COLOURS.yellow),
        bars("gaming", COLOURS.violet),
      ],
      axes: [kinds.axis, { ...integers }],
    }),
  };
}

function render(s: TaskStatus): void {
  status = s;
  recordCompression(compression, s);
  charts.evaluation.set(evaluationByVersion(s));
  charts.throughput.set(updatesPerSecondOverTime(s));
  charts.latency.set(latencyByStage(s).columns);
  charts.compression.set(compressionOverTime(compression));
  charts.regions.set(clustersByRegion(s).columns);
  charts.flushes.set(flushesByTier(s).columns);
  charts.integrity.set(integrityBars(integrityCounts(s)).columns);

  const evaluated = latestEvaluated(s);
  const accuracy = $("#accuracy");
  if (evaluated) accuracy.dataset.path = `versions.${evaluated.index}.accuracy`;
  else delete accuracy.dataset.path;
  $("#accuracy-version").textContent = evaluated ? `of version ${evaluated.version}` : "no evaluation yet";

  rows("#latency-table tbody", stagesOf(s), (stage) => [
    STAGE_NAMES[stage] ?? stage,
    ...(["p50", "p95", "p99"] as const).map((q) => cell(`latency.${stage}.${q}`, "duration")),
    cell(`latency.${stage}.count`, "count"),
  ]);
  rows("#regions-table tbody", regionsOf(s), (region) => [
    region,
    cell(`tree.regions.${region}.clusters`, "count"),
    cell(`tree.regions.${region}.devices`, "count"),
    cell(`tree.regions.${region}.minClusterSize`, "count"),
    cell(`tree.regions.${region}.maxClusterSize`, "count"),
    cell(`tree.regions.${region}.moved`, "count"),
  ]);
  const list = $("#integrity-list");
  list.replaceChildren(
    ...integrityCounts(s).map((c) => {
      const item = document.createElement("li");
      item.dataset.group = c.group;
      item.append(`${c.group} · ${c.key.replaceAll("_", " ")} `, cell(c.path, "count"));
      return item;
    }),
  );

  for (const el of document.querySelectorAll<HTMLElement>("#board [data-format]")) {
    const path = el.dataset.path;
    el.textContent = path ? show(valueAt(s, path), FORMATS[el.dataset.format ?? ""] ?? decimal) : "—";
  }
  $("#board").dataset.generatedAt = s.generatedAt;
}

function cell(path: string, format: string): HTMLElement {
  const el = document.createElement("span");
  el.dataset.path = path;
  el.dataset.format = format;
  return el;
}

function rows(selector: string, keys: string[], cells: (key: string) => (string | HTMLElement)[]): void {
  $(selector).replaceChildren(
    ...keys.map((key) => {
      const tr = document.createElement("tr");
      for (const content of cells(key)) {
        const td = document.createElement("td");
        td.append(content);
        tr.append(td);
      }
      return tr;
    }),
  );
}

/** `a.b.0.c` in the status JSON; keys may hold "/" (`latency.flush/cluster.p50`), never ".". */
function valueAt(s: TaskStatus, path: string): number | null {
  let v: unknown = s;
  for (const key of path.split("."))
    v = v !== null && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined;
  return typeof v === "number" ? v : null;
}

function live(state: "ok" | "waiting" | "error", text: string): void {
  const el = $("#live");
  el.dataset.state = state;
  el.textContent = text;
}

async function poll(task: string): Promise<void> {
  const token = storedToken();
  if (!token) return showLogin();
  let res: Response;
  try {
    res = await fetch(`/v1/tasks/${encodeURIComponent(task)}/status`, {
      headers: { Authorization: `Bearer ${token}` },
      cache: "no-store",
    });
  } catch {
    res = Response.error();
  }
  if (polling?.task !== task) return;
  if (res.status === 401 || res.status === 403) {
    forgetToken();
    return showLogin("The service refused this token.");
  }
  if (res.ok) {
    const s = (await res.json()) as TaskStatus;
    render(s);
    live("ok", `live · ${new Date(s.generatedAt).toLocaleTimeString("en-GB")}`);
  } else if (res.type === "error") {
    live("error", "service unreachable, retrying");
  } else {
    const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
    live("error", body?.error?.message ?? `status ${res.status}`);
  }
}

/** Polls until stopped or another task is watched; a failed poll is shown, and the next one follows. */
function schedule(task: string): void {
  poll(task)
    .catch((error: unknown) => {
      console.error("dashboard poll:", error);
      live("error", `could not show the status: ${error instanceof Error ? error.message : String(error)}`);
    })
    .finally(() => {
      if (polling?.task === task) polling.timer = setTimeout(() => schedule(task), POLL_MS);
    });
}

function watch(task: string): void {
  storeTask(task);
  $<HTMLInputElement>("#task").value = task;
  polling = { task };
  $("#login").hidden = true;
  $("#board").hidden = false;
  $("#task-form").hidden = false;
  $("#forget").hidden = false;
  live("waiting", "connecting…");
  schedule(task);
}

function stop(): void {
  if (polling?.timer !== undefined) clearTimeout(polling.timer);
  polling = null;
}

function showLogin(message = ""): void {
  stop();
  $("#board").hidden = true;
  $("#task-form").hidden = true;
  $("#forget").hidden = true;
  $("#login").hidden = false;
  $("#login-error").textContent = message;
  live("waiting", "");
  const task = $<HTMLInputElement>("#login-task");
  task.value ||= initialTask();
  (task.value ? $<HTMLInputElement>("#login-token") : task).focus();
}

// Signing in and changing task both start the page afresh from sessionStorage, so no chart
// mixes two tasks or two sessions.
$("#login").addEventListener("submit", (event) => {
  event.preventDefault();
  storeToken($<HTMLInputElement>("#login-token").value.trim());
  storeTask($<HTMLInputElement>("#login-task").value.trim());
  location.reload();
});

$("#task-form").addEventListener("submit", (event) => {
  event.preventDefault();
  storeTask($<HTMLInputElement>("#task").value.trim());
  location.reload();
});

$("#forget").addEventListener("click", () => {
  forgetToken();
  showLogin();
});

const task = initialTask();
if (storedToken() && task) watch(task);
else showLogin();
