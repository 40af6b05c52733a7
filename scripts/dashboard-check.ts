/**
 * `npm run test:browser`: the dashboard in a real browser. Starts fedge in workerd
 * (local-service.ts, static assets included), opens /dashboard in Chromium through
 * playwright-core, signs in, and runs a short fleet of devices (dashboard-check/fleet.ts)
 * while the page polls. Then it checks that every chart holds data points and that every
 * number on the page is the status endpoint's, read back from the page's text, and saves
 * the page to docs/dashboard.png. One line per check, then `N passed, N failed`; exits 1
 * on any failure. Stops everything it started.
 */
import { spawnSync } from "node:child_process";
import { type Browser, chromium, type Page } from "playwright-core";
import { check, run } from "./checks";
import { Fleet, TASK_CONFIG } from "./dashboard-check/fleet";
import { type LocalService, startLocalService } from "./local-service";

const TASK = "dashboard-demo";
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const FLEET_SECONDS = 12;
const DEADLINE_MS = 110_000;
const SCREENSHOT = "docs/dashboard.png";
const CHARTS = ["evaluation", "throughput", "latency", "compression", "regions", "flushes", "integrity"];

type Json = Record<string, unknown>;

/** A value of the status JSON by the page's `data-path`: keys joined by ".". */
function valueAt(json: unknown, path: string): unknown {
  return path
    .split(".")
    .reduce<unknown>((v, key) => (v && typeof v === "object" ? (v as Json)[key] : undefined), json);
}

const UNITS: Record<string, number> = {
  "": 1,
  "%": 0.01,
  "×": 1,
  "/s": 1,
  B: 1,
  kB: 1e3,
  MB: 1e6,
  GB: 1e9,
  ms: 1e-3,
  s: 1,
};

/** A number as the page writes it ("1,234", "97.5%", "12.3 ms", "1.05 MB"), and half its last digit. */
function readBack(text: string): { value: number; tolerance: number } | null {
  if (text === "—") return null;
  const m = /^(-?[\d,]*\.?\d+)\s*(%|×|\/s|B|kB|MB|GB|ms|s)?$/.exec(text.trim());
  if (!m) throw new Error(`"${text}" is no number the page writes`);
  const digits = m[1]!.replaceAll(",", "");
  const decimals = digits.split(".")[1]?.length ?? 0;
  const scale = UNITS[m[2] ?? ""]!;
  return { value: Number(digits) * scale, tolerance: 0.5 * 10 ** -decimals * scale * (1 + 1e-9) };
}

function sameNumber(text: string, expected: unknown): boolean {
  const shown = readBack(text);
  if (shown === null || typeof expected !== "number") return shown === null && (expected ?? null) === null;
  return Math.abs(shown.value - expected) <= shown.tolerance;
}

/** Polls the status until two answers a second apart agree (every flush has landed). */
async function quiescentStatus(fetchStatus: () => Promise<Json>): Promise<{ status: Json; at: number }> {
  const strip = ({ generatedAt: _, ...rest }: Json) => JSON.stringify(rest);
  let previous = await fetchStatus();
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const at = Date.now();
    const next = await fetchStatus();
    if (strip(next) === strip(previous)) return { status: next, at };
    previous = next;
  }
  throw new Error("the status kept changing for 20 s after the fleet stopped");
}

/** What each chart must hold, counted from the status JSON independently of the page. */
function expectedPoints(s: Json): Record<string, (points: number) => boolean> {
  const versions = s.versions as { createdAt: string; accuracy: number | null; loss: number | null }[];
  const nonNull = (values: unknown[]) => values.filter((v) => typeof v === "number").length;
  const latency = Object.values(s.latency as Json).flatMap((p) => [
    (p as Json).p50,
    (p as Json).p95,
    (p as Json).p99,
  ]);
  const flushes = Object.values(s.flushes as Json).flatMap((f) => [
    (f as Json).batches,
    (f as Json).meanUpdates,
  ]);
  const counts = [s.shed, s.gaming, (s.updates as Json).refused].flatMap((c) => Object.keys(c as Json));
  const exactly = (n: number) => (points: number) => points === n && n > 0;
  return {
    evaluation: exactly(nonNull(versions.flatMap((v) => [v.accuracy, v.loss]))),
    // One point per interval of the versions' span, at most 30.
    throughput: (points) => versions.length >= 2 && points >= 1 && points <= 30,
    latency: exactly(nonNull(latency)),
    compression: (points) => points >= 4,
    regions: exactly(2 * Object.keys((s.tree as Json).regions as Json).length),
    flushes: exactly(nonNull(flushes)),
    integrity: exactly(counts.length),
  };
}

/** Paths the page must show, whatever else it shows. */
function requiredPaths(s: Json): string[] {
  const versions = s.versions as { accuracy: number | null }[];
  const evaluated = versions.findLastIndex((v) => v.accuracy !== null);
  return [
    "model.version",
    "updates.accepted",
    "updatesPerSecond",
    "compression.ratio",
    "compression.bytesSaved",
    "fillRatio.p50",
    "tree.depth",
    "updates.deadLettered",
    "quarantines",
    `versions.${evaluated}.accuracy`,
    ...Object.keys(s.latency as Json).flatMap((stage) =>
      ["p50", "p95", "p99"].map((q) => `latency.${stage}.${q}`),
    ),
    ...Object.keys((s.tree as Json).regions as Json).flatMap((r) =>
      ["clusters", "devices"].map((k) => `tree.regions.${r}.${k}`),
    ),
    ...Object.keys((s.updates as Json).refused as Json).map((code) => `updates.refused.${code}`),
    ...Object.keys(s.shed as Json).map((reason) => `shed.${reason}`),
    ...Object.keys(s.gaming as Json).map((kind) => `gaming.${kind}`),
  ];
}

async function signIn(page: Page, token: string): Promise<void> {
  await page.fill("#login-token", token);
  await page.click("#login button[type=submit]");
}

async function main(service: LocalService, browser: Browser): Promise<void> {
  const admin = { Authorization: `Bearer ${service.adminToken}`, "Content-Type": "application/json" };
  const created = await service.fetch(`/v1/admin/tasks/${TASK}`, {
    method: "PUT",
    headers: admin,
    body: JSON.stringify(TASK_CONFIG),
  });
  if (created.status !== 201)
    throw new Error(`creating the task answered ${created.status}: ${await created.text()}`);
  const fetchStatus = async () => {
    const res = await service.fetch(`/v1/tasks/${TASK}/status`, { headers: admin });
    if (res.status !== 200) throw new Error(`the status endpoint answered ${res.status}`);
    return (await res.json()) as Json;
  };
  const fleet = new Fleet(service.fetch, TASK);
  await fleet.register();

  const dashboard = new URL(`/dashboard?task=${TASK}`, service.url).href;
  const refused = await browser.newPage();
  await refused.goto(dashboard);
  await signIn(refused, "not-the-admin-token");
  await refused.waitForFunction(() => document.querySelector("#login-error")?.textContent !== "", null, {
    timeout: 10_000,
  });
  check(
    "a refused token brings the form back with a message, and is not kept",
    (await refused.isVisible("#login")) &&
      (await refused.evaluate(() => sessionStorage.getItem("fedge.adminToken"))) === null,
  );
  await refused.close();

  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));
  page.on("console", (m) => (m.type() === "error" ? pageErrors.push(m.text()) : undefined));
  await page.goto(dashboard);
  check(
    "the page asks for the token, with the task from ?task=",
    (await page.isVisible("#login")) && (await page.inputValue("#login-task")) === TASK,
  );
  await signIn(page, service.adminToken);
  await page.waitForSelector('#live[data-state="ok"]', { timeout: 10_000 });
  check(
    "the token is kept in sessionStorage under fedge.adminToken, and in no URL",
    (await page.evaluate(() => sessionStorage.getItem("fedge.adminToken"))) === service.adminToken &&
      !page.url().includes(service.adminToken),
  );

  const run = await fleet.run(FLEET_SECONDS);
  const accepted = run.uploads[202] ?? 0;
  console.log(
    `  fleet: ${FLEET_SECONDS} s, uploads by status ${JSON.stringify(run.uploads)}, ${run.evaluations} evaluations`,
  );
  check(
    "the fleet ran without errors",
    accepted > 50 && run.errors.length === 0,
    run.errors.slice(0, 3).join("; "),
  );

  const { status, at } = await quiescentStatus(fetchStatus);
  await page.waitForFunction(
    (after) =>
      Date.parse((document.querySelector("#board") as HTMLElement).dataset.generatedAt ?? "") > after,
    at,
    { timeout: 10_000 },
  );
  const shown = await page.$$eval("#board [data-path]", (els) =>
    els.map((e) => ({ path: (e as HTMLElement).dataset.path!, text: e.textContent ?? "" })),
  );
  const charts = await page.$$eval("figure[data-chart]", (els) =>
    els.map((e) => ({
      name: (e as HTMLElement).dataset.chart!,
      points: Number((e as HTMLElement).dataset.points),
    })),
  );
  const final = await fetchStatus();
  const { generatedAt: _a, ...quiet } = status;
  const { generatedAt: _b, ...later } = final;
  check("the status did not change while the page was read", JSON.stringify(quiet) === JSON.stringify(later));
  console.log(
    `  status: version ${valueAt(final, "model.version")}, ${valueAt(final, "updates.accepted")} accepted, ` +
      `refused ${JSON.stringify(valueAt(final, "updates.refused"))}, shed ${JSON.stringify(final.shed)}, ` +
      `gaming ${JSON.stringify(final.gaming)}`,
  );

  const expected = expectedPoints(final);
  for (const name of CHARTS) {
    const chart = charts.find((c) => c.name === name);
    const ok = chart !== undefined && (expected[name]?.(chart.points) ?? false);
    check(`chart "${name}" holds its data points (${chart?.points ?? "missing"})`, ok);
  }

  const mismatches = shown.filter((n) => !sameNumber(n.text, valueAt(final, n.path)));
  check(
    `all ${shown.length} numbers on the page equal the status endpoint's`,
    shown.length > 0 && mismatches.length === 0,
    mismatches
      .map((n) => `${n.path}: page "${n.text}", status ${JSON.stringify(valueAt(final, n.path))}`)
      .join("; "),
  );
  const missing = requiredPaths(final).filter((path) => !shown.some((n) => n.path === path));
  check("the page shows every key number", missing.length === 0, `missing: ${missing.join(", ")}`);
  check("no errors in the page's console", pageErrors.length === 0, pageErrors.slice(0, 3).join("; "));

  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  console.log(`  screenshot: ${SCREENSHOT}`);

  await checkPrometheus(service);
}

/**
 * The Prometheus exposition of the same live run, through `promtool check metrics` (from
 * Debian's prometheus package; .ci/run extracts it and sets PROMTOOL). Without promtool
 * the check is reported as skipped, not passed.
 */
async function checkPrometheus(service: LocalService): Promise<void> {
  const promtool =
    process.env.PROMTOOL ??
    (spawnSync("sh", ["-c", "command -v promtool"]).stdout.toString().trim() || undefined);
  if (!promtool) {
    console.log("- promtool check metrics: skipped (no promtool; set PROMTOOL)");
    return;
  }
  const res = await service.fetch("/v1/admin/metrics", {
    headers: { Authorization: `Bearer ${service.adminToken}` },
  });
  const text = await res.text();
  const linted = spawnSync(promtool, ["check", "metrics"], { input: text });
  const output = `${linted.stdout}${linted.stderr}`.trim();
  check(
    `GET /v1/admin/metrics passes promtool check metrics (${text.split("\n").length} lines)`,
    res.status === 200 && linted.status === 0 && text.includes("fedge_updates_accepted_total"),
    output || `status ${res.status}, promtool exit ${linted.status}`,
  );
}

let service: LocalService | undefined;
let browser: Browser | undefined;

/** Stops Chromium and workerd, whatever state the check is in. */
async function stopAll(): Promise<void> {
  await browser?.close().catch((e: unknown) => console.error("closing Chromium:", e));
  await service?.dispose().catch((e: unknown) => console.error("stopping the service:", e));
}

await run(
  "dashboard check",
  DEADLINE_MS,
  async () => {
    service = await startLocalService({ outdir: ".wrangler/dashboard-check" });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless=new", "--no-sandbox", "--disable-gpu"],
    });
    await main(service, browser);
  },
  stopAll,
);
