/**
 * Self-hosting (issue 13, part 6): the generated workerd configuration serves fedge on its own,
 * a task round trip publishes the exact average, the state survives a restart on the same data
 * directory, and weak secrets are refused before anything starts.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { encodeDenseF32Frame, randomUpdateId } from "../shared/protocol/frame";

const root = mkdtempSync(join(tmpdir(), "fedge-workerd-"));
const data = join(root, "data");
const out = join(root, "build");
afterAll(() => rmSync(root, { recursive: true, force: true }));

const SECRETS = { ADMIN_TOKEN: "a".repeat(16) + "b".repeat(32), TOKEN_SECRET: "c".repeat(48) };
const SCRIPT = ["--disable-warning=ExperimentalWarning", "--import", "tsx", "scripts/serve-workerd.ts"];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Served {
  base: string;
  child: ChildProcess;
  output: () => string;
}

async function serve(port: number, ...args: string[]): Promise<Served> {
  const child = spawn(
    process.execPath,
    [...SCRIPT, "--port", String(port), "--data", data, "--out", out, ...args],
    {
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
      env: { ...process.env, ...SECRETS, FEDGE_LOCAL_DEV: "true" },
    },
  );
  let text = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    text += chunk.toString("utf8");
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    text += chunk.toString("utf8");
  });
  const deadline = Date.now() + 120_000;
  while (!text.includes("is serving on")) {
    if (Date.now() > deadline || child.exitCode !== null) {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
      throw new Error(`serve:workerd did not come up:\n${text}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { base: `http://127.0.0.1:${port}`, child, output: () => text };
}

async function stop(served: Served): Promise<void> {
  const exited = new Promise((resolve) => served.child.once("exit", resolve));
  served.child.kill("SIGTERM");
  await exited;
}

async function json<T>(res: Response): Promise<T> {
  expect(res.ok, `${res.status} ${res.url}`).toBe(true);
  return (await res.json()) as T;
}

describe("npm run serve:workerd", () => {
  const admin = { Authorization: `Bearer ${SECRETS.ADMIN_TOKEN}`, "Content-Type": "application/json" };
  const delta = [0.5, -1, 1.5, 2];

  it("serves GET / and a task round trip: register, check in, upload, new version with the update applied", async () => {
    const served = await serve(await freePort());
    try {
      const { base } = served;
      const index = await json<{ service: string }>(await fetch(`${base}/`));
      const created = await fetch(`${base}/v1/admin/tasks/self-hosted`, {
        method: "PUT",
        headers: admin,
        body: JSON.stringify({
          model: { parameters: 4, layout: [{ name: "w", shape: [4], offset: 0 }] },
          round: { targetUpdates: 1, deadlineSeconds: 60 },
        }),
      });
      const device = await json<{ token: string; task: { layoutHash: string } }>(
        await fetch(`${base}/v1/tasks/self-hosted/devices`, { method: "POST" }),
      );
      const auth = { Authorization: `Bearer ${device.token}` };
      const checkin = await json<{ action: string }>(
        await fetch(`${base}/v1/tasks/self-hosted/checkin`, { method: "POST", headers: auth }),
      );
      const frame = encodeDenseF32Frame(Float32Array.from(delta), {
        baseVersion: 0,
        sampleWeight: 3,
        updateId: randomUpdateId(),
        layoutHash: device.task.layoutHash,
      }) as Uint8Array<ArrayBuffer>; // a new ArrayBuffer; the signature only says ArrayBufferLike
      const upload = await fetch(`${base}/v1/tasks/self-hosted/updates`, {
        method: "POST",
        headers: { ...auth, "Content-Type": "application/octet-stream" },
        body: frame,
      });
      let version = 0;
      for (let i = 0; i < 200 && version < 1; i++) {
        version = (
          await json<{ version: number }>(
            await fetch(`${base}/v1/tasks/self-hosted/model`, { headers: auth }),
          )
        ).version;
        if (version < 1) await new Promise((r) => setTimeout(r, 50));
      }
      const weights = new Float32Array(
        await (await fetch(`${base}/v1/tasks/self-hosted/model/1/weights`, { headers: auth })).arrayBuffer(),
      );

      expect(index.service).toBe("fedge");
      expect(created.status).toBe(201);
      expect(checkin.action).toBe("train");
      expect(upload.status).toBe(202);
      expect(version).toBe(1);
      // FedAvg of one update from zeros, server learning rate 1: the update itself.
      expect(Array.from(weights)).toEqual(delta);
    } finally {
      await stop(served);
    }
  });

  it("keeps Durable Objects and R2 on disk: served again on the same --data, the task is at version 1 and listed in the metrics", async () => {
    const served = await serve(await freePort(), "--skip-build");
    try {
      const view = await json<{ model: { version: number } }>(
        await fetch(`${served.base}/v1/admin/tasks/self-hosted`, { headers: admin }),
      );
      const weights = await fetch(`${served.base}/v1/tasks/self-hosted/model/1/weights`, { headers: admin });
      // Lists the bucket's task prefixes: R2's list with a delimiter, over the directory.
      const metrics = await (await fetch(`${served.base}/v1/admin/metrics`, { headers: admin })).text();

      expect(view.model.version).toBe(1);
      expect(metrics).toMatch(/^fedge_model_version\{task="self-hosted"\} 1$/m);
      expect(Array.from(new Float32Array(await weights.arrayBuffer()))).toEqual(delta);
    } finally {
      await stop(served);
    }
  });

  it("--help says how: port, data directory, the secrets from the environment, --dev", () => {
    const run = spawnSync(process.execPath, [...SCRIPT, "--help"], { encoding: "utf8" });

    expect(run.status).toBe(0);
    for (const text of [
      "--port P",
      "--data DIR",
      "ADMIN_TOKEN and TOKEN_SECRET",
      "--dev",
      "openssl rand -base64 48",
    ])
      expect(run.stdout).toContain(text);
  });

  it.each([
    ["the development default", { ADMIN_TOKEN: "dev-admin-token" }, /ADMIN_TOKEN is the development default/],
    ["a short secret", { TOKEN_SECRET: "short" }, /TOKEN_SECRET is shorter than 32 bytes/],
    ["a missing secret", { TOKEN_SECRET: "" }, /TOKEN_SECRET is not set/],
  ])(
    "refuses to start with %s unless --dev, even with FEDGE_LOCAL_DEV in the shell",
    (_name, secrets, message) => {
      const run = spawnSync(process.execPath, [...SCRIPT, "--port", "1", "--data", data, "--out", out], {
        encoding: "utf8",
        env: { ...process.env, ...SECRETS, FEDGE_LOCAL_DEV: "true", ...secrets },
      });

      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).toContain("openssl rand -base64 48");
    },
  );
});
