import { afterEach, describe, expect, it, vi } from "vitest";
import { FedgeBlockedError } from "./errors";
import type { FetchLike } from "./http";
import { BASE_URL, fixedTrainer, setup } from "./testing/client-fixture";

/**
 * A browser's fetch as a page on `http://app.test` sees it: every CORS request fails with
 * the same TypeError whether the server refused the page's origin or the link is down; a
 * `no-cors` request reaches the server when it is up.
 */
function browserFetch(serverUp: boolean) {
  const probes: RequestInit[] = [];
  const fetch: FetchLike = async (_input, init = {}) => {
    if ((init as { mode?: string }).mode === "no-cors" && serverUp) {
      probes.push(init);
      return new Response(null, { status: 200 });
    }
    throw new TypeError("Failed to fetch");
  };
  return { fetch, probes };
}

describe("FedgeClient in a page on another origin", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("throws FedgeBlockedError naming the page's origin when the server is up but CORS refuses it, instead of waiting as if offline", async () => {
    // Prepare
    vi.stubGlobal("location", { origin: "http://app.test" });
    const { fetch, probes } = browserFetch(true);
    const { client } = setup({ fetch });

    // Execute
    const outcome = await client.runOnce(fixedTrainer([1, 1, 1, 1])).catch((error: unknown) => error);

    // Assert: one side-effect-free probe, then an error retrying cannot fix.
    expect(outcome).toBeInstanceOf(FedgeBlockedError);
    expect((outcome as Error).message).toContain("add http://app.test to the Worker's CORS_ORIGINS");
    expect(probes).toHaveLength(1);
    expect(probes[0]).toMatchObject({ method: "GET", mode: "no-cors", credentials: "omit" });
  });

  it("still answers wait (offline) when the probe fails too: the link is down", async () => {
    vi.stubGlobal("location", { origin: "http://app.test" });
    const { client } = setup({ fetch: browserFetch(false).fetch });

    const outcome = await client.runOnce(fixedTrainer([1, 1, 1, 1]));

    expect(outcome).toMatchObject({ action: "wait", reason: "offline" });
  });

  it("does not probe for a server on the page's own origin, where CORS does not apply", async () => {
    vi.stubGlobal("location", { origin: new URL(BASE_URL).origin });
    const { fetch, probes } = browserFetch(true);
    const { client } = setup({ fetch });

    const outcome = await client.runOnce(fixedTrainer([1, 1, 1, 1]));

    expect(outcome).toMatchObject({ action: "wait", reason: "offline" });
    expect(probes).toHaveLength(0);
  });
});
