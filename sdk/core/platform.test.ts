import { afterEach, describe, expect, it, vi } from "vitest";
import { FedgeUnsupportedError } from "./errors";
import { setup } from "./testing/client-fixture";

describe("FedgeClient on a platform without Web Crypto", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("refuses to be created where crypto.subtle is missing (a page that is not a secure context), before any request", () => {
    // Prepare: what an http:// page on another host sees.
    vi.stubGlobal("crypto", { getRandomValues: crypto.getRandomValues.bind(crypto) });
    vi.stubGlobal("isSecureContext", false);

    // Execute
    let thrown: unknown;
    let fake: ReturnType<typeof setup>["fake"] | undefined;
    try {
      ({ fake } = setup());
    } catch (error) {
      thrown = error;
    }

    // Assert: a named error that says why; the server was never asked for a version.
    expect(thrown).toBeInstanceOf(FedgeUnsupportedError);
    expect((thrown as Error).message).toMatch(/crypto\.subtle.*not a secure context/);
    expect(fake?.checkins ?? []).toHaveLength(0);
  });

  it("names crypto.subtle outside browsers too", () => {
    vi.stubGlobal("crypto", { getRandomValues: crypto.getRandomValues.bind(crypto) });
    expect(() => setup()).toThrow(/crypto\.subtle is not available here/);
  });
});
