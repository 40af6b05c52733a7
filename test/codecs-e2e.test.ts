import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { clusterStub } from "../durable-objects/stubs";
import { decodeToDense } from "../shared/codecs/decoder";
import { deflateFrame, inflatePayload } from "../shared/codecs/deflate";
import { encodeUpdate } from "../shared/codecs/encoder";
import { ErrorFeedbackEncoder } from "../shared/codecs/error-feedback";
import { Codec, FrameFlag } from "../shared/codecs/ids";
import { SeededRandom } from "../shared/codecs/random";
import { encodeFrame, parseFrame, randomUpdateId } from "../shared/protocol/frame";
import {
  type Device,
  maxAbsDiff,
  oneClusterTask,
  seededVector,
  uploadFrame,
  waitForVersion,
  weightedAverageStep,
  weights,
} from "./helpers";

const DIM = 2000;

const setup = (task: string, devices: number) => oneClusterTask(task, devices, DIM, 11);

/** The oracle: what the server must have summed, decoded here by the reference decoder. */
async function decodeFrame(frame: Uint8Array): Promise<Float32Array> {
  const { header, payload } = await inflatePayload(parseFrame(frame));
  return decodeToDense(header.codec, payload, header.dim);
}

async function expectRefused(res: Response, status: number, code: string, reason: string) {
  expect(res.status).toBe(status);
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe(code);
  expect(body.error.message.startsWith(`${reason}:`)).toBe(true);
}

describe("sparse, quantized and deflated updates, edge → cluster → coordinator", () => {
  it("publish exactly w0 + Σ nᵢ·decoded(frameᵢ) / Σ nᵢ, whatever codec each device used", async () => {
    // Prepare: seven devices, each sending its update in another codec.
    const task = "codecs-e2e";
    const devices = await setup(task, 7);
    const initial = await weights(task, 0);
    const random = new SeededRandom(2018);
    const delta = (i: number) => seededVector(500 + i, DIM);
    const meta = (d: Device) => ({
      baseVersion: 0,
      sampleWeight: 0,
      updateId: randomUpdateId(),
      layoutHash: d.layoutHash,
    });
    const coarse = delta(4).map((x) => Math.round(x * 4) / 4); // few distinct values: deflates well
    const feedback = new ErrorFeedbackEncoder({ dim: DIM, density: 0.02, bits: 8, momentum: 0.9, seed: 5 });
    feedback.encode(delta(7), { ...meta(devices[6]!), sampleWeight: 1 }); // an earlier round leaves a residual
    const frames = await Promise.all(
      [
        (m: ReturnType<typeof meta>) =>
          encodeUpdate(delta(0), { ...m, density: 0.01, bits: 8, random: random.next }),
        (m: ReturnType<typeof meta>) =>
          encodeUpdate(delta(1), { ...m, density: 0.1, bits: 4, random: random.next }),
        (m: ReturnType<typeof meta>) => encodeUpdate(delta(2), { ...m, density: 0.05, bits: 16 }),
        (m: ReturnType<typeof meta>) => encodeUpdate(delta(3), { ...m, bits: 16 }),
        (m: ReturnType<typeof meta>) =>
          deflateFrame(encodeUpdate(coarse, { ...m, density: 0.5, bits: 8, random: random.next })),
        (m: ReturnType<typeof meta>) =>
          deflateFrame(
            encodeUpdate(
              delta(5).map((x, j) => (j % 10 ? 0 : x)),
              m,
            ),
          ),
        (m: ReturnType<typeof meta>) => feedback.encode(delta(6), m),
      ].map((make, i) => make({ ...meta(devices[i]!), sampleWeight: 3 + 5 * i })),
    );
    expect(frames.map((f) => parseFrame(f).header.codec)).toEqual([
      Codec.SparseQ8,
      Codec.SparseQ4,
      Codec.SparseF16,
      Codec.DenseF16,
      Codec.SparseQ8,
      Codec.DenseF32,
      Codec.SparseQ8,
    ]);
    expect(frames.slice(4, 6).map((f) => parseFrame(f).header.flags)).toEqual([
      FrameFlag.Deflate,
      FrameFlag.Deflate,
    ]);

    // Execute
    const responses = await Promise.all(devices.map((d, i) => uploadFrame(task, d.token, frames[i]!)));

    // Assert
    for (const r of responses) expect(r.status).toBe(202);
    await waitForVersion(task, 1);
    const decoded = await Promise.all(frames.map(decodeFrame));
    const expected = weightedAverageStep(
      initial,
      decoded.map((values, i) => ({ values, n: 3 + 5 * i })),
    );
    expect(maxAbsDiff(await weights(task, 1), expected)).toBeLessThanOrEqual(1e-6);
  });

  it("refuses corrupt sparse payloads, non-finite values and deflate bombs before storing anything", async () => {
    // Prepare
    const task = "codecs-refused";
    const [device] = await setup(task, 2);
    const meta = {
      baseVersion: 0,
      sampleWeight: 1,
      updateId: randomUpdateId(),
      layoutHash: device!.layoutHash,
    };
    // sparse-f32 with one value: header (varint indices, nnz 1), the f32, the index as a varint.
    const oneValue = (value: number, index: number[]) => {
      const payload = Uint8Array.from([0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, ...index]);
      new DataView(payload.buffer).setFloat32(8, value, true);
      return encodeFrame({ codec: Codec.SparseF32, flags: 0, dim: DIM, nnz: 1 }, payload, meta);
    };
    const outOfRange = oneValue(1, [0xd0, 0x0f]); // index 2000 = dim
    const nan = oneValue(Number.NaN, [9]);
    const zeros = new Blob([new Uint8Array(1 << 20)])
      .stream()
      .pipeThrough(new CompressionStream("deflate-raw"));
    const bomb = encodeFrame(
      { codec: Codec.DenseF32, flags: FrameFlag.Deflate, dim: DIM, nnz: DIM },
      new Uint8Array(await new Response(zeros).arrayBuffer()),
      meta,
    );

    // Execute / Assert
    await expectRefused(
      await uploadFrame(task, device!.token, outOfRange),
      400,
      "bad_frame",
      "index_out_of_range",
    );
    await expectRefused(
      await uploadFrame(task, device!.token, nan),
      422,
      "non_finite_value",
      "non_finite_value",
    );
    await expectRefused(await uploadFrame(task, device!.token, bomb), 400, "bad_frame", "inflated_too_large");
    expect((await clusterStub(env, task, "weur", 0).status()).openUpdates).toBe(0);
  });
});
