/**
 * `npm run test:examples`: both examples against fedge in workerd (local-service.ts).
 * The browser example's built page (examples/browser/dist) is served by a small HTTP server
 * on another port, so the page and the service are different origins and every request
 * crosses CORS (the service admits the page's origin through CORS_ORIGINS). In Chromium
 * (playwright-core) the page registers, trains, uploads, keeps an update it could not send
 * in IndexedDB across a reload and sends it on the next visit, and evaluates (TypeScript and
 * ONNX); a page on an origin the service does not admit gets FedgeBlockedError. Then the
 * Node example runs against the same service. One line per check, then `N passed, N failed`;
 * exits 1 on any failure. Stops everything it started.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type Browser, chromium, type Page } from "playwright-core";
import { servePage } from "../examples/browser/serve";
import { createTask } from "../examples/create-task";
import { TASK } from "../examples/shared/spam-filter";
import { check, run } from "./checks";
import { type LocalService, startLocalService } from "./local-service";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** What examples/browser/README.md and examples/node/README.md say a successful run shows. */
const SUCCESS = "fedge example: done";
const DEADLINE_MS = 100_000;

/** Loads the page and waits for its outcome: `data-state` done or failed. */
async function visit(page: Page, url: string) {
  await page.goto(url);
  try {
    await page.waitForSelector('#status:is([data-state="done"], [data-state="failed"])', { timeout: 30_000 });
  } catch (error) {
    const log = await page.$eval("#log", (e) => e.textContent).catch(() => "");
    throw new Error(`${url} did not finish; its log:\n${log}`, { cause: error });
  }
  return page.$eval("#status", (e) => ({
    state: (e as HTMLElement).dataset.state,
    text: e.textContent ?? "",
    pending: (e as HTMLElement).dataset.pending,
    sentQueued: (e as HTMLElement).dataset.sentQueued,
    log: document.querySelector("#log")?.textContent ?? "",
  }));
}

async function browserChecks(service: LocalService, browser: Browser, port: number): Promise<void> {
  const origin = `http://127.0.0.1:${port}`;
  const server = service.url.href.replace(/\/$/, "");
  const page = await browser.newPage();
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));

  const first = await visit(page, `${origin}/?server=${server}&versions=2`);
  check(
    `a page on ${origin} trains 2 versions against ${server} and evaluates: "${first.text}"`,
    first.state === "done" && first.text.startsWith(SUCCESS) && first.pending === "0",
    first.log,
  );

  // The link fails for uploads only: the round trains, and its update stays queued.
  await page.route("**/v1/tasks/*/updates", (route) => route.abort("internetdisconnected"));
  const offline = await visit(page, `${origin}/?server=${server}&versions=1`);
  check(
    "with uploads failing, the next version's update stays queued",
    offline.state === "done" && offline.pending === "1",
    `${offline.text}\n${offline.log}`,
  );
  await page.unroute("**/v1/tasks/*/updates");

  const reloaded = await visit(page, page.url());
  check(
    "after a reload, the update queued in IndexedDB is sent, and the page trains and evaluates again",
    reloaded.state === "done" && reloaded.sentQueued === "1" && reloaded.pending === "0",
    `${reloaded.text}\n${reloaded.log}`,
  );
  check("no errors in the page", pageErrors.length === 0, pageErrors.slice(0, 3).join("; "));
  await page.close();

  // localhost is another origin than 127.0.0.1, and CORS_ORIGINS admits only the latter.
  const refused = await browser.newPage();
  const blocked = await visit(refused, `http://localhost:${port}/?server=${server}&versions=1`);
  check(
    "a page on an origin CORS_ORIGINS does not admit fails at once with FedgeBlockedError, not as offline",
    blocked.state === "failed" &&
      blocked.text.includes("FedgeBlockedError") &&
      blocked.text.includes(`add http://localhost:${port} to the Worker's CORS_ORIGINS`),
    blocked.text,
  );
  await refused.close();
}

/** The Node example as its README runs it, against the same service, in a fresh store. */
async function nodeCheck(service: LocalService): Promise<void> {
  const store = mkdtempSync(join(tmpdir(), "fedge-node-example-"));
  try {
    const args = ["--import", "tsx", "examples/node/main.ts", "--url", service.url.href, "--versions", "2"];
    child = spawn(process.execPath, [...args, "--store", store], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout?.on("data", (d) => (output += d));
    child.stderr?.on("data", (d) => (output += d));
    const code = await new Promise<number | null>((ok) => child?.on("exit", ok));
    child = undefined;
    check(
      `the Node example trains 2 versions, evaluates and exits 0: "${output.trim().split("\n").at(-1)}"`,
      code === 0 && output.includes(`${SUCCESS}: 2 uploaded, 0 pending`),
      output,
    );
  } finally {
    rmSync(store, { recursive: true, force: true });
  }
}

interface AdminView {
  versions: { version: number }[];
  evaluations: { reports: number }[];
  totals: { published: number };
}

async function adminView(service: LocalService): Promise<AdminView> {
  const res = await fetch(new URL(`/v1/admin/tasks/${TASK}`, service.url), {
    headers: { Authorization: `Bearer ${service.adminToken}` },
  });
  if (res.status !== 200) throw new Error(`admin view: ${res.status} ${await res.text()}`);
  return (await res.json()) as AdminView;
}

/**
 * The admin view once `updates` acknowledged updates are in published versions, or the last
 * one read after `timeoutMs`. An acknowledged update reaches a version only after the
 * cluster's and the region's flush waits, from their alarms: a device that has just been
 * answered 202 may be ahead of the model, and a busy machine widens the gap.
 */
async function viewOncePublished(service: LocalService, updates: number, timeoutMs: number) {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const view = await adminView(service);
    if (view.totals.published >= updates || performance.now() >= end) return view;
    await sleep(250);
  }
}

async function main(service: LocalService, browser: Browser, port: number): Promise<void> {
  await createTask(service.url.href, service.adminToken);
  await browserChecks(service, browser, port);
  await nodeCheck(service);
  // 2 + 1 + 1 updates from the page, 2 from Node, each acknowledged; 4 evaluations, 3 from the page.
  const view = await viewOncePublished(service, 6, 20_000);
  const reports = view.evaluations.reduce((n, e) => n + e.reports, 0);
  check(
    `every acknowledged update is in a published version (${view.totals.published} of 6, up to v${view.versions[0]?.version}) and every evaluation arrived (${reports} of 4)`,
    view.totals.published === 6 && reports === 4,
  );
}

let service: LocalService | undefined;
let browser: Browser | undefined;
let pageServer: Server | undefined;
let child: ChildProcess | undefined;

async function stopAll(): Promise<void> {
  child?.kill();
  await browser?.close().catch((e: unknown) => console.error("closing Chromium:", e));
  pageServer?.closeAllConnections();
  pageServer?.close();
  await service?.dispose().catch((e: unknown) => console.error("stopping the service:", e));
}

await run(
  "examples check",
  DEADLINE_MS,
  async () => {
    const page = await servePage();
    pageServer = page.server;
    service = await startLocalService({
      outdir: ".wrangler/examples-check",
      bindings: { CORS_ORIGINS: `http://127.0.0.1:${page.port}` },
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless=new", "--no-sandbox", "--disable-gpu"],
    });
    await main(service, browser, page.port);
  },
  stopAll,
);
