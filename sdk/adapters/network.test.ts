import { afterEach, describe, expect, it, vi } from "vitest";
import { browserNetwork } from "./network";

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("browserNetwork", () => {
  it("maps navigator.connection's type and passes on its RTT estimate", async () => {
    vi.stubGlobal("navigator", { connection: { type: "wifi", rtt: 50, effectiveType: "4g" } });
    expect(await browserNetwork()).toEqual({ type: "wifi", rttMs: 50 });
  });

  it("reports types it does not know as unknown", async () => {
    vi.stubGlobal("navigator", { connection: { type: "bluetooth" } });
    expect(await browserNetwork()).toEqual({ type: "unknown" });
  });

  it("is unknown where the Network Information API is missing", async () => {
    vi.stubGlobal("navigator", {});
    expect(await browserNetwork()).toBeUndefined();
  });
});
