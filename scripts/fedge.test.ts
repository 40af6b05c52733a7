/**
 * The fedge CLI (issue 13, part 8): every bad invocation gets one line and exit code 2, never a
 * stack trace, and no value is written that float32 cannot hold.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { parseFrame } from "../shared/protocol/frame";
import { parseFrameArgs } from "./fedge-args";

const HASH = "3c6d56f6";
const GOOD = ["--values", "0.1,0.2", "--weight", "10", "--layout-hash", HASH];

function fedge(...args: string[]) {
  const run = spawnSync("tsx", ["scripts/fedge.ts", ...args], { encoding: "buffer" });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr.toString("utf8") };
}

describe("fedge frame: bad invocations", () => {
  it.each([
    ["an unknown option", ["frame", ...GOOD, "--colour", "red"], /Unknown option '--colour'/],
    [
      "a negative weight",
      ["frame", "--values", "1", "--weight", "-5", "--layout-hash", HASH],
      /--weight must be a number > 0/,
    ],
    [
      "a value beyond float32",
      ["frame", "--values", "1e40", "--weight", "1", "--layout-hash", HASH],
      /--values item 0 \(1e40\) is beyond float32/,
    ],
    [
      "--values without its argument",
      ["frame", "--weight", "1", "--layout-hash", HASH, "--values"],
      /--values <value>' argument missing/,
    ],
    ["no --values at all", ["frame", "--weight", "1", "--layout-hash", HASH], /--values is required/],
    ["an unknown command", ["fram"], /unknown command "fram"/],
  ])("%s: one line on stderr, nothing on stdout, exit code 2", (_name, args, message) => {
    const run = fedge(...args);

    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toMatch(/^fedge: [^\n]+\n$/);
    expect(run.stdout.byteLength).toBe(0);
  });

  it("writes a frame the service can parse for a good invocation, negative values included", () => {
    const run = fedge("frame", "--values", "-0.5,2", "--weight", "3", "--base", "7", "--layout-hash", HASH);

    expect(run.status).toBe(0);
    const { header, payload } = parseFrame(new Uint8Array(run.stdout));
    expect(header).toMatchObject({ dim: 2, baseVersion: 7, sampleWeight: 3, layoutHash: HASH });
    expect(Array.from(new Float32Array(payload.slice().buffer))).toEqual([-0.5, 2]);
  });
});

describe("parseFrameArgs", () => {
  it.each([
    ["Infinity", /not a finite decimal number/],
    ["NaN", /not a finite decimal number/],
    ["1,,2", /--values item 1 is empty/],
    ["0x10", /not a finite decimal number/],
    ["-3.5e38", /beyond float32's range/],
  ])("refuses --values %s", (values, message) => {
    expect(() => parseFrameArgs(["--values", values, "--weight", "1", "--layout-hash", HASH])).toThrow(
      message,
    );
  });

  it.each([
    ["0", /--weight must be a number > 0/],
    ["1e-50", /float32 can hold/],
    ["1e39", /float32 can hold/],
  ])("refuses --weight %s", (weight, message) => {
    expect(() => parseFrameArgs(["--values", "1", "--weight", weight, "--layout-hash", HASH])).toThrow(
      message,
    );
  });

  it("refuses a base version outside u32 and a layout hash that is not 8 hex digits", () => {
    expect(() => parseFrameArgs([...GOOD, "--base", "4294967296"])).toThrow(/--base must be an integer/);
    expect(() => parseFrameArgs(["--values", "1", "--weight", "1", "--layout-hash", "xyz"])).toThrow(
      /8 hex digits/,
    );
  });

  it("keeps the largest float32 values and lower-cases the hex", () => {
    const parsed = parseFrameArgs([
      "--values",
      "3.4e38,-3.4e38,1e-3",
      "--weight",
      "2",
      "--layout-hash",
      "ABCDEF01",
    ]);

    expect(Array.from(parsed.values).every(Number.isFinite)).toBe(true);
    expect(parsed.layoutHash).toBe("abcdef01");
  });
});
