/**
 * `npm start` as a user or a supervisor runs it (issue 13, part 8): stopped by SIGTERM to
 * npm's PID it leaves nothing serving, `--fresh` starts from empty state, and it prints no
 * spurious "types might be out of date" warning.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const stateDir = mkdtempSync(join(tmpdir(), "fedge-start-"));
beforeAll(() => {
  execFileSync("tsx", ["scripts/dev-vars.ts"]);
});
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.connect(port, "127.0.0.1");
  });
}

interface Started {
  npm: ChildProcess;
  output: () => string;
  /** Resolves when every process holding the output pipe (npm, start.ts, wrangler, workerd) has closed it. */
  closed: Promise<void>;
}

/** `npm start -- …` in its own process group (as a supervisor runs it), once it says it is serving. */
async function npmStart(port: number, ...args: string[]): Promise<Started> {
  // Without prestart: it rebuilds wasm/build/kernels.wasm, which tests running beside this one
  // read. Its other step, creating .dev.vars, runs once below.
  const npm = spawn(
    "npm",
    ["start", "--ignore-scripts", "--", "--port", String(port), "--state", stateDir, ...args],
    {
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
      env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
    },
  );
  let text = "";
  const closed = Promise.all([
    new Promise<void>((resolve) => npm.stdout?.on("close", resolve)),
    new Promise<void>((resolve) => npm.stderr?.on("close", resolve)),
  ]).then(() => undefined);
  npm.stdout?.on("data", (chunk: Buffer) => {
    text += chunk.toString("utf8");
  });
  npm.stderr?.on("data", (chunk: Buffer) => {
    text += chunk.toString("utf8");
  });
  const deadline = Date.now() + 120_000;
  while (!text.includes("fedge is serving on")) {
    if (Date.now() > deadline || npm.exitCode !== null) {
      if (npm.pid) process.kill(-npm.pid, "SIGKILL");
      throw new Error(`npm start did not come up:\n${text}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { npm, output: () => text, closed };
}

/** Stops it by SIGTERM to npm's PID only, as a supervisor would; resolves once the pipes close. */
async function terminate(started: Started): Promise<void> {
  process.kill(started.npm.pid as number, "SIGTERM");
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => {
      process.kill(-(started.npm.pid as number), "SIGKILL");
      reject(new Error(`processes still running 20 s after SIGTERM:\n${started.output()}`));
    }, 20_000),
  );
  await Promise.race([started.closed, timeout]);
}

describe("npm start, then SIGTERM to npm's PID", () => {
  let run: { output: string; servedBefore: boolean; servedAfter: boolean };
  beforeAll(async () => {
    const port = await freePort();
    const started = await npmStart(port);
    const servedBefore = await listening(port);
    await terminate(started);
    run = { output: started.output(), servedBefore, servedAfter: await listening(port) };
  }, 180_000);

  it("stops wrangler and workerd: nothing listens on the port afterwards, and it says so", () => {
    expect(run.servedBefore).toBe(true);
    expect(run.servedAfter).toBe(false);
    expect(run.output).toContain("fedge stopped");
  });

  it('printed no "Your types might be out of date" warning: the committed types are current', () => {
    expect(run.output).toContain("fedge is serving on");
    expect(run.output).not.toMatch(/types might be out of date/i);
  });
});

describe("npm start -- --fresh", () => {
  it("deletes the local state before serving", async () => {
    const marker = join(stateDir, "left-by-an-earlier-run");
    writeFileSync(marker, "");
    const port = await freePort();

    const started = await npmStart(port, "--fresh");
    await terminate(started);

    expect(existsSync(marker)).toBe(false);
    expect(started.output()).toContain(`cleared the local state in ${stateDir}`);
    // This run's own state went to the same directory.
    expect(readdirSync(stateDir).length).toBeGreaterThan(0);
  });
});
