import { describe, expect, it } from "vitest";
import { encodeDenseF32Frame, encodeFrame, parseFrame } from "../protocol/frame";
import { CodecError } from "./codec-error";
import { decodeToDense } from "./decoder";
import { deflateFrame, inflatePayload } from "./deflate";
import { encodeUpdate } from "./encoder";
import { Codec, FrameFlag } from "./ids";
import { META } from "./test-helpers";

async function reasonOfAsync(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "ok";
  } catch (error) {
    if (error instanceof CodecError) return error.reason;
    throw error;
  }
}

/** A dense-f32 frame of dim values flagged as deflated, whose payload is the given bytes. */
function flaggedFrame(dim: number, payload: Uint8Array): Uint8Array {
  return encodeFrame({ codec: Codec.DenseF32, flags: FrameFlag.Deflate, dim, nnz: dim }, payload, META);
}

async function deflateRaw(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("deflate-raw"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

describe("deflate", () => {
  it("round-trips a frame: smaller on the wire, identical once inflated", async () => {
    // Prepare: a mostly-zero update compresses well.
    const values = new Float32Array(1000);
    values[10] = 1.5;
    const raw = encodeUpdate(values, META);
    // Execute
    const deflated = await deflateFrame(raw);
    const inflated = await inflatePayload(parseFrame(deflated));
    // Assert
    expect(deflated.byteLength).toBeLessThan(raw.byteLength / 10);
    expect(parseFrame(deflated).header.flags).toBe(FrameFlag.Deflate);
    expect(inflated).toEqual(parseFrame(raw));
    expect(decodeToDense(inflated.header.codec, inflated.payload, 1000)).toEqual(values);
  });

  it("leaves a frame as it is when deflating would not make it smaller, or it is already deflated", async () => {
    const incompressible = encodeUpdate(Float32Array.of(0.1234), META);
    expect(await deflateFrame(incompressible)).toBe(incompressible);
    const deflated = await deflateFrame(encodeUpdate(new Float32Array(100), META));
    expect(await deflateFrame(deflated)).toBe(deflated);
  });

  it("returns a frame that is not deflated unchanged", async () => {
    const frame = parseFrame(encodeDenseF32Frame(Float32Array.of(1), META));
    expect(await inflatePayload(frame)).toBe(frame);
  });

  it("refuses a payload that is not a raw DEFLATE stream, or is cut short, as inflate_failed", async () => {
    const garbage = flaggedFrame(4, Uint8Array.of(0xff, 0xff, 0xff, 0xff));
    expect(await reasonOfAsync(inflatePayload(parseFrame(garbage)))).toBe("inflate_failed");
    const whole = await deflateRaw(new Uint8Array(16).fill(7));
    const cut = flaggedFrame(4, whole.subarray(0, whole.length - 2));
    expect(await reasonOfAsync(inflatePayload(parseFrame(cut)))).toBe("inflate_failed");
    expect(await reasonOfAsync(inflatePayload(parseFrame(flaggedFrame(4, new Uint8Array(0)))))).toBe(
      "inflate_failed",
    );
  });

  it("stops inflating a bomb as soon as it passes the largest legal payload: inflated_too_large", async () => {
    // 16 MiB of zeros deflate to ~16 KiB; dim 4 allows 16 bytes.
    const bomb = await deflateRaw(new Uint8Array(16 << 20));
    expect(bomb.byteLength).toBeLessThan(20_000);
    expect(await reasonOfAsync(inflatePayload(parseFrame(flaggedFrame(4, bomb))))).toBe("inflated_too_large");
  });

  it("checks the inflated payload like a raw one, against the header's nnz", async () => {
    // Prepare: 8 bytes that are a valid dense-f32 payload for dim 2, in a frame that says dim 3.
    const payload = await deflateRaw(new Uint8Array(8));
    // Execute / Assert
    expect(await reasonOfAsync(inflatePayload(parseFrame(flaggedFrame(3, payload))))).toBe("truncated");
  });
});
