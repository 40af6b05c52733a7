/**
 * `npm run loadtest -- --profile`: the summary counts samples (a long wait outside the
 * isolate does not make the function after it hot), and a profile of fedge's isolate is
 * taken through workerd's own inspector with frames
 * from the built bundle in it.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startLocalService } from "../local-service";
import { OptionError, parseOptions } from "./options";
import { startProfile, summarize } from "./profile";

const frame = (functionName: string, url = "", lineNumber = -1) => ({
  functionName,
  url,
  lineNumber,
  columnNumber: 0,
});

describe("summarize", () => {
  it("ranks functions by self samples, not by their time deltas, leaves idle out and names bundle lines 1-based", () => {
    const profile = {
      nodes: [
        { id: 1, callFrame: frame("(root)") },
        { id: 2, callFrame: frame("(idle)") },
        { id: 3, callFrame: frame("seal", "file:///build/index.js", 41) },
        { id: 4, callFrame: frame("exec") },
      ],
      startTime: 0,
      endTime: 1_000_000,
      // exec runs for three ticks; seal's single sample follows a 900 ms wait.
      samples: [4, 4, 4, 3, 2, 2],
      timeDeltas: [250, 250, 250, 900_000, 250, 250],
    };
    const summary = summarize(profile, 10);
    expect(summary.busySamples).toBe(4);
    expect(summary.tickUs).toBe(250);
    expect(summary.hotSpots).toEqual([
      { location: "exec", samples: 3, share: 0.75 },
      { location: "seal (index.js:42)", samples: 1, share: 0.25 },
    ]);
  });
});

describe("--profile", () => {
  it("takes the file to write, and is refused with --stress restart (which kills the profiled workerd)", () => {
    expect(parseOptions(["--profile", "out.cpuprofile"])).toMatchObject({ profile: "out.cpuprofile" });
    expect(() => parseOptions(["--profile", "out.cpuprofile", "--stress", "restart"])).toThrow(OptionError);
    expect(() => parseOptions(["--profile", "out.cpuprofile", "--stress", "restart"])).toThrow(/--profile/);
  });
});

describe("a profile of fedge in workerd", () => {
  const dir = mkdtempSync(join(tmpdir(), "fedge-profile-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("samples the Worker's own code while it serves requests", async () => {
    const service = await startLocalService({ outdir: join(dir, "build"), inspector: true });
    try {
      expect(service.inspectorUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/core:user:fedge$/);
      const profile = await startProfile(service.inspectorUrl as string);
      for (let i = 0; i < 50; i++) {
        const res = await service.fetch("/v1/openapi.json");
        expect(res.status).toBe(200);
        await res.arrayBuffer();
      }
      const file = join(dir, "fedge.cpuprofile");
      const summary = await profile.stop(file, 1000);
      expect(summary.busySamples).toBeGreaterThan(0);
      expect(summary.hotSpots.some((h) => h.location.includes("(index.js:"))).toBe(true);
      const written = JSON.parse(readFileSync(file, "utf8")) as { samples: number[] };
      expect(written.samples.length).toBeGreaterThanOrEqual(summary.busySamples);
    } finally {
      await service.dispose();
    }
  });
});
