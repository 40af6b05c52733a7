/**
 * Edge hygiene (issue 8, finding 8): every body is bounded before anything reads it and
 * cancelled when the answer does not need it; task ids are checked before anything
 * else; unknown tasks are answered 404 from a short per-isolate cache.
 */
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { TaskView } from "../durable-objects/task-types";
import { encodeDenseF32Frame, randomUpdateId } from "../shared/protocol/frame";
import { TASK_ID_PATTERN } from "../shared/protocol/task-config";
import { app } from "../workers/app";
import { MAX_GRAPH_BYTES } from "../workers/routes/model";
import { loadTask, rememberTask } from "../workers/tasks";
import { ADMIN_TOKEN, adminHeaders, api, createTask, flatModel } from "./helpers";

const TASK = "edge-hygiene";
const DIM = 20_000; // a dense f32 frame of 80 kB: larger than any JSON body may be
const JSON_LIMIT = 64 * 1024;
let deviceToken: string;
let layoutHash: string;

beforeAll(async () => {
  expect((await createTask(TASK, { model: flatModel(DIM) })).status).toBe(201);
  const res = await api(`/v1/tasks/${TASK}/devices`, {
    method: "POST",
    headers: { "X-Fedge-Region": "weur" },
  });
  expect(res.status).toBe(201);
  const body = (await res.json()) as { token: string; task: { layoutHash: string } };
  deviceToken = body.token;
  layoutHash = body.task.layoutHash;
});

/** A body that sends a few bytes and then never ends, and records whether the server cancelled it. */
function endlessBody(): { stream: ReadableStream<Uint8Array>; cancelled: () => boolean } {
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('{"pad":"'));
    },
    pull: () => new Promise<void>(() => {}),
    cancel() {
      cancelled = true;
    },
  });
  return { stream, cancelled: () => cancelled };
}

/** A body of `bytes` bytes in 8 KiB chunks with no Content-Length (sent chunked). */
function streamedBody(bytes: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const size = Math.min(8192, bytes - sent);
      if (size === 0) return controller.close();
      controller.enqueue(new Uint8Array(size).fill(0x20));
      sent += size;
    },
  });
}

/** A registration body of exactly `bytes` bytes that is valid JSON (registration accepts unknown fields). */
function paddedJson(bytes: number): string {
  const shell = '{"pad":""}';
  return `{"pad":"${" ".repeat(bytes - shell.length)}"}`;
}

/** Calls the app in this isolate, so the test sees exactly what happens to the request's own body. */
async function direct(path: string, init: RequestInit): Promise<Response> {
  return app.fetch(new Request(`https://fedge.test${path}`, init), env, createExecutionContext());
}

async function expectError(res: Response, status: number, code: string, message?: string | RegExp) {
  const body = (await res.json()) as { error?: { code: string; message: string } };
  expect({ status: res.status, code: body.error?.code }).toEqual({ status, code });
  if (message) expect(body.error?.message).toMatch(message);
}

describe("request bodies are bounded before anything reads them", () => {
  it("answers a registration whose Content-Length passes 64 KiB with 413 payload_too_large", async () => {
    // Prepare: valid JSON one byte over the limit; registration ignores unknown fields.
    const body = paddedJson(JSON_LIMIT + 1);

    // Execute
    const res = await api(`/v1/tasks/${TASK}/devices`, { method: "POST", body });

    // Assert
    await expectError(res, 413, "payload_too_large", /65536 bytes/);
  });

  it("accepts a registration body of exactly 64 KiB", async () => {
    const res = await api(`/v1/tasks/${TASK}/devices`, { method: "POST", body: paddedJson(JSON_LIMIT) });
    expect(res.status).toBe(201);
  });

  it("answers a streamed registration body without Content-Length with 413 once it passes 64 KiB", async () => {
    const res = await api(`/v1/tasks/${TASK}/devices`, {
      method: "POST",
      body: streamedBody(JSON_LIMIT + 1),
    });
    await expectError(res, 413, "payload_too_large");
  });

  it("answers Content-Length: 1000000000 with 413 at once, though the body never ends", async () => {
    // Prepare: the body never closes, so the only way to answer is without reading it.
    const { stream } = endlessBody();

    // Execute
    const res = await api(`/v1/tasks/${TASK}/devices`, {
      method: "POST",
      headers: { "Content-Length": "1000000000" },
      body: stream,
    });

    // Assert
    await expectError(res, 413, "payload_too_large");
  });

  it("cancels an upload's body before answering its too-large Content-Length with 413", async () => {
    // Prepare
    const { stream, cancelled } = endlessBody();

    // Execute
    const res = await direct(`/v1/tasks/${TASK}/updates`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${deviceToken}`,
        "Content-Type": "application/octet-stream",
        "Content-Length": "1000000000",
      },
      body: stream,
    });

    // Assert: cancelled, so a runtime that drains unread bodies need not wait for it.
    await expectError(res, 413, "payload_too_large", /at most 80048 bytes/);
    expect(cancelled()).toBe(true);
  });

  it("cancels a graph's body before answering a Content-Length over MAX_GRAPH_BYTES with 413", async () => {
    const { stream, cancelled } = endlessBody();
    const res = await direct(`/v1/admin/tasks/${TASK}/graph`, {
      method: "PUT",
      headers: {
        ...adminHeaders(),
        "Content-Type": "application/octet-stream",
        "Content-Length": String(MAX_GRAPH_BYTES + 1),
      },
      body: stream,
    });
    await expectError(res, 413, "payload_too_large", new RegExp(`at most ${MAX_GRAPH_BYTES} bytes`));
    expect(cancelled()).toBe(true);
  });

  it.each([
    ["with a Content-Length", { "Content-Length": "1000" }],
    ["streamed", {}],
  ])(
    "cancels a body %s that the answer did not need (an upload without a token: 401)",
    async (_shape, length) => {
      const { stream, cancelled } = endlessBody();
      const res = await direct(`/v1/tasks/${TASK}/updates`, {
        method: "POST",
        headers: { "Content-Type": "application/octet-stream", ...length },
        body: stream,
      });
      await expectError(res, 401, "unauthorized");
      expect(cancelled()).toBe(true);
    },
  );

  it("reads an update frame larger than 64 KiB: the update route has the task's frame size as its limit", async () => {
    // Prepare: an 80 kB frame with a wrong layout hash, refused only after it has been read.
    const frame = encodeDenseF32Frame(new Float32Array(DIM), {
      baseVersion: 0,
      sampleWeight: 1,
      updateId: randomUpdateId(),
      layoutHash: layoutHash.replace(/^./, (c) => (c === "0" ? "1" : "0")),
    });
    expect(frame.byteLength).toBeGreaterThan(JSON_LIMIT);

    // Execute
    const res = await api(`/v1/tasks/${TASK}/updates`, {
      method: "POST",
      headers: { Authorization: `Bearer ${deviceToken}`, "Content-Type": "application/octet-stream" },
      body: frame,
    });

    // Assert
    await expectError(res, 422, "layout_mismatch");
  });

  it("reads a graph larger than 64 KiB", async () => {
    const res = await api(`/v1/admin/tasks/${TASK}/graph`, {
      method: "PUT",
      headers: { ...adminHeaders(), "Content-Type": "application/octet-stream" },
      body: new Uint8Array(100 * 1024).fill(7),
    });
    expect(res.status).toBe(200);
  });

  it("reads a task config larger than 64 KiB: a layout may list thousands of tensors", async () => {
    // Prepare: 2,000 one-parameter tensors with 40-character names, about 130 kB of JSON.
    const layout = Array.from({ length: 2000 }, (_, i) => ({
      name: `layer-${String(i).padStart(4, "0")}-${"w".repeat(29)}`,
      shape: [1],
      offset: i,
    }));
    const body = JSON.stringify({ model: { parameters: 2000, layout } });
    expect(body.length).toBeGreaterThan(2 * JSON_LIMIT);

    // Execute
    const res = await api("/v1/admin/tasks/edge-many-tensors", {
      method: "PUT",
      headers: adminHeaders(),
      body,
    });

    // Assert
    expect(res.status).toBe(201);
  });
});

describe("task ids are checked before anything else", () => {
  const badIds = ["Not_A_Slug", "-leading-dash", "a".repeat(64), "caf%C3%A9"];
  const routes: [string, string, (id: string) => string][] = [
    ["POST", "registration", (id) => `/v1/tasks/${id}/devices`],
    ["POST", "check-in", (id) => `/v1/tasks/${id}/checkin`],
    ["POST", "an upload", (id) => `/v1/tasks/${id}/updates`],
    ["POST", "an evaluation", (id) => `/v1/tasks/${id}/evaluations`],
    ["GET", "the manifest", (id) => `/v1/tasks/${id}/model`],
    ["GET", "weights", (id) => `/v1/tasks/${id}/model/0/weights`],
    ["GET", "the admin view", (id) => `/v1/admin/tasks/${id}`],
    ["PUT", "task creation", (id) => `/v1/admin/tasks/${id}`],
    ["PUT", "a graph upload", (id) => `/v1/admin/tasks/${id}/graph`],
  ];

  it.each(routes)(
    "answers %s %s for a task id that breaks the pattern with 400 bad_request naming it, before authentication",
    async (method, _name, path) => {
      for (const id of badIds) {
        // No credentials: a 400 here means the id was checked first.
        const res = await api(path(id), { method, body: method === "GET" ? undefined : "{}" });
        await expectError(res, 400, "bad_request", TASK_ID_PATTERN.source);
      }
    },
  );

  it.each(routes.filter(([, , path]) => path("x").startsWith("/v1/tasks/")))(
    "answers %s %s for a well-formed but unknown task with 404 task_not_found, token or not",
    async (method, _name, path) => {
      const body = method === "GET" ? undefined : "{}";
      await expectError(await api(path("no-such-task"), { method, body }), 404, "task_not_found");
      const headers = { Authorization: `Bearer ${deviceToken}` };
      await expectError(await api(path("no-such-task"), { method, body, headers }), 404, "task_not_found");
    },
  );

  it("answers a task created after a 404 at once: creation clears the cached 404", async () => {
    // Prepare: the isolate has just learnt that the task does not exist.
    const task = "edge-created-late";
    await expectError(await api(`/v1/tasks/${task}/devices`, { method: "POST" }), 404, "task_not_found");

    // Execute
    expect((await createTask(task, { model: flatModel(4) })).status).toBe(201);

    // Assert: within the same second, registration sees the task.
    expect((await api(`/v1/tasks/${task}/devices`, { method: "POST" })).status).toBe(201);
  });

  it("keeps admin credentials meaningful: a wrong admin token on a valid id is still 401", async () => {
    const res = await api(`/v1/admin/tasks/${TASK}`, {
      headers: { Authorization: `Bearer not-${ADMIN_TOKEN}` },
    });
    await expectError(res, 401, "unauthorized");
  });
});

describe("the edge's task cache", () => {
  /** An env whose coordinators answer with `answer` and count the calls. */
  function fakeCoordinators(answer: (task: string) => Promise<TaskView | null>) {
    const calls: string[] = [];
    const coordinators = {
      idFromName: (name: string) => name,
      get: (name: string) => ({
        getTask: () => {
          calls.push(name);
          return answer(name);
        },
      }),
    };
    return { env: { COORDINATOR: coordinators } as unknown as Env, calls };
  }

  const viewOf = (task: string, version = 0) => ({ task: { id: task }, model: { version } }) as TaskView;

  function deferred<T>() {
    let resolve!: (value: T) => void;
    const promise = new Promise<T>((r) => {
      resolve = r;
    });
    return { promise, resolve };
  }

  afterEach(() => {
    vi.useRealTimers();
  });

  it("remembers for a second that a task does not exist: a second miss within it asks no coordinator", async () => {
    // Prepare
    vi.useFakeTimers({ toFake: ["Date"], now: 1_000_000 });
    const { env, calls } = fakeCoordinators(async () => null);

    // Execute
    await expect(loadTask(env, "cache-absent")).rejects.toMatchObject({ code: "task_not_found" });
    vi.advanceTimersByTime(999);
    await expect(loadTask(env, "cache-absent")).rejects.toMatchObject({ code: "task_not_found" });

    // Assert
    expect(calls).toEqual(["cache-absent"]);
  });

  it("asks the coordinator again once the cached 404 is a second old", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: 2_000_000 });
    const { env, calls } = fakeCoordinators(async () => null);
    await expect(loadTask(env, "cache-absent-expiry")).rejects.toMatchObject({ code: "task_not_found" });
    vi.advanceTimersByTime(1000);
    await expect(loadTask(env, "cache-absent-expiry")).rejects.toMatchObject({ code: "task_not_found" });
    expect(calls).toEqual(["cache-absent-expiry", "cache-absent-expiry"]);
  });

  it("forgets a cached 404 when the task is remembered (created through the admin API)", async () => {
    const { env, calls } = fakeCoordinators(async () => null);
    await expect(loadTask(env, "cache-created")).rejects.toMatchObject({ code: "task_not_found" });
    rememberTask(viewOf("cache-created"));
    expect(await loadTask(env, "cache-created")).toEqual(viewOf("cache-created"));
    expect(calls).toHaveLength(1);
  });

  it("shares one coordinator call among concurrent misses for one task", async () => {
    // Prepare: the coordinator answers only when told to.
    const answer = deferred<TaskView | null>();
    const { env, calls } = fakeCoordinators(() => answer.promise);

    // Execute
    const loads = Array.from({ length: 5 }, () => loadTask(env, "cache-single-flight"));
    answer.resolve(viewOf("cache-single-flight"));

    // Assert
    expect(await Promise.all(loads)).toEqual(Array(5).fill(viewOf("cache-single-flight")));
    expect(calls).toHaveLength(1);
  });

  it("never lets a refresh that started before rememberTask overwrite the remembered view", async () => {
    // Prepare: a refresh is in flight when the task is reconfigured.
    const slow = deferred<TaskView | null>();
    const { env } = fakeCoordinators(() => slow.promise);
    const inFlight = loadTask(env, "cache-race");
    rememberTask(viewOf("cache-race", 7));

    // Execute: the older answer lands afterwards.
    slow.resolve(viewOf("cache-race", 6));
    await inFlight;

    // Assert
    expect((await loadTask(env, "cache-race")).model.version).toBe(7);
  });

  it("shares a task's view with the location's other isolates through the Cache API, with the time it was learnt", async () => {
    const { env } = fakeCoordinators(async () => viewOf("cache-location", 4));
    await loadTask(env, "cache-location");
    const hit = await caches.default.match("https://task-view.fedge.internal/cache-location");
    const entry = (await hit!.json()) as { view: TaskView; at: number };
    expect(entry.view.model.version).toBe(4);
    expect(Date.now() - entry.at).toBeLessThan(1000);
  });

  it("takes a view another isolate left in the location's cache, less than a second old, without calling the coordinator", async () => {
    await caches.default.put(
      "https://task-view.fedge.internal/cache-shared",
      new Response(JSON.stringify({ view: viewOf("cache-shared", 9), at: Date.now() }), {
        headers: { "Cache-Control": "max-age=1" },
      }),
    );
    const { env, calls } = fakeCoordinators(async () => viewOf("cache-shared", 1));
    expect((await loadTask(env, "cache-shared")).model.version).toBe(9);
    expect(calls).toHaveLength(0);
  });

  it("ignores a location entry a second old or more, and asks the coordinator", async () => {
    await caches.default.put(
      "https://task-view.fedge.internal/cache-old",
      new Response(JSON.stringify({ view: viewOf("cache-old", 9), at: Date.now() - 1000 }), {
        headers: { "Cache-Control": "max-age=1" },
      }),
    );
    const { env, calls } = fakeCoordinators(async () => viewOf("cache-old", 10));
    expect((await loadTask(env, "cache-old")).model.version).toBe(10);
    expect(calls).toHaveLength(1);
  });

  it("gives a fresh load its own coordinator call rather than one that started before it", async () => {
    const first = deferred<TaskView | null>();
    const answers = [first.promise, Promise.resolve(viewOf("cache-fresh", 3))];
    const { env, calls } = fakeCoordinators(() => answers.shift()!);
    const cached = loadTask(env, "cache-fresh");
    // The first load looks in the location's cache (the Cache API) before it calls the coordinator.
    while (calls.length === 0) await new Promise((r) => setTimeout(r, 0));
    expect((await loadTask(env, "cache-fresh", { fresh: true })).model.version).toBe(3);
    first.resolve(viewOf("cache-fresh", 2));
    await cached;
    expect(calls).toHaveLength(2);
  });
});
