import { describe, expect, it } from "vitest";
import { MemoryStore } from "../adapters/memory-store";
import { type FetchLike, Http } from "./http";
import { LinkMetrics } from "./link-metrics";
import { ModelCache, ModelIntegrityError } from "./model-cache";
import { DeviceAuth } from "./registration";
import { FakeClock } from "./testing/fake-clock";
import { FakeFedge, TASK } from "./testing/fake-fedge";

const PREFIX = "fedge/demo/model/";
const MANIFEST = `/v1/tasks/${TASK}/model`;

function cacheOver(store = new MemoryStore(), wrap = (fetch: FetchLike): FetchLike => fetch) {
  const clock = new FakeClock();
  const fake = new FakeFedge(clock);
  const http = new Http({
    baseUrl: "https://fedge.test",
    fetch: wrap(fake.fetch),
    clock,
    metrics: new LinkMetrics(),
    timeoutMs: 1000,
  });
  const auth = new DeviceAuth(http, store, "fedge/demo/registration", TASK, clock, () => {});
  return { fake, store, cache: new ModelCache(http, auth, store, PREFIX) };
}

describe("ModelCache", () => {
  it("downloads the manifest's version, then revalidates the cached copy with If-None-Match and uses it on 304", async () => {
    // Prepare
    const { fake, cache } = cacheOver();
    fake.publish(Float32Array.of(1, 2, 3, 4));

    // Execute
    const first = await cache.load(MANIFEST);
    const second = await cache.load(MANIFEST);

    // Assert
    const weightRequests = fake.requests.filter((r) => r.route === "weights");
    expect(weightRequests.map((r) => r.headers.get("If-None-Match"))).toEqual([
      null,
      `"${(await fake.manifest()).sha256}"`,
    ]);
    expect(fake.notModified).toBe(1);
    expect([...first.weights]).toEqual([1, 2, 3, 4]);
    expect([...second.weights]).toEqual([1, 2, 3, 4]);
    expect(second.version).toBe(1);
  });

  it("reads a 304's body to its end, so that the connection can be reused", async () => {
    // Prepare: a server (or proxy) that sends a body with its 304, as some do.
    const notModified: Response[] = [];
    const { fake, cache } = cacheOver(undefined, (fetch) => async (input, init) => {
      const response = await fetch(input, init);
      if (response.status !== 304) return response;
      const withBody = new Response(new Blob([new Uint8Array(8)]).stream(), { headers: response.headers });
      Object.defineProperties(withBody, { status: { value: 304 }, ok: { value: false } });
      notModified.push(withBody);
      return withBody;
    });
    fake.publish(Float32Array.of(1, 2, 3, 4));

    // Execute
    await cache.load(MANIFEST);
    const cached = await cache.load(MANIFEST);

    // Assert
    expect([...cached.weights]).toEqual([1, 2, 3, 4]);
    expect(notModified).toHaveLength(1);
    expect(notModified[0]!.bodyUsed).toBe(true);
  });

  it("hands out a copy the trainer may overwrite without touching the cache", async () => {
    const { fake, cache } = cacheOver();
    fake.publish(Float32Array.of(1, 2, 3, 4));
    (await cache.load(MANIFEST)).weights.fill(0);
    expect([...(await cache.load(MANIFEST)).weights]).toEqual([1, 2, 3, 4]);
  });

  it("refuses weights that do not match the manifest's sha256, and caches nothing", async () => {
    const { fake, cache, store } = cacheOver();
    fake.corruptWeights = true;
    await expect(cache.load(MANIFEST)).rejects.toBeInstanceOf(ModelIntegrityError);
    expect(await store.keys(PREFIX)).toEqual([]);
  });

  it("downloads afresh, without If-None-Match, when the cached bytes no longer hash right", async () => {
    // Prepare: cache version 0, then damage the stored record's last byte (a weight byte).
    const { fake, cache, store } = cacheOver();
    await cache.load(MANIFEST);
    const key = `${PREFIX}0`;
    const record = (await store.get(key)) as Uint8Array;
    record[record.length - 1]! ^= 0xff;
    await store.set(key, record);

    // Execute
    const loaded = await cache.load(MANIFEST);

    // Assert
    expect([...loaded.weights]).toEqual([0, 0, 0, 0]);
    expect(
      fake.requests.filter((r) => r.route === "weights").map((r) => r.headers.get("If-None-Match")),
    ).toEqual([null, null]);
  });

  it("keeps only the newest version and versions still in use", async () => {
    // Prepare: version 0 is being trained on while versions 1 and 2 are published and loaded.
    const { fake, cache, store } = cacheOver();
    const training = await cache.load(MANIFEST);
    fake.publish(new Float32Array(4).fill(1));
    (await cache.load(MANIFEST)).release();

    // Execute
    const whileTraining = (await store.keys(PREFIX)).sort();
    training.release();
    fake.publish(new Float32Array(4).fill(2));
    (await cache.load(MANIFEST)).release();

    // Assert
    expect(whileTraining).toEqual([`${PREFIX}0`, `${PREFIX}1`]);
    expect(await store.keys(PREFIX)).toEqual([`${PREFIX}2`]);
  });
});
