import { describe, expect, it } from "vitest";
import { encodeDenseF32Frame } from "../../shared/protocol/frame";
import type { CompressionHint } from "./api-types";
import type { EncodeMeta, UpdateEncoder } from "./encoder";
import { fixedTrainer, setup } from "./testing/client-fixture";

const onBattery = (level: number) => async () => ({ level, charging: false });

describe("FedgeClient battery policy", () => {
  it("does not check in or train below 20 % on battery before the server has sent a policy", async () => {
    const { client, fake } = setup({ battery: onBattery(0.15), idleRetryMs: 300_000 });
    const trainer = fixedTrainer([1, 1, 1, 1]);
    expect(await client.runOnce(trainer)).toEqual({
      action: "wait",
      retryAfterMs: 300_000,
      reason: "battery-low",
    });
    expect(fake.checkins).toHaveLength(0);
    expect(trainer.calls).toHaveLength(0);
  });

  it("trains at any level while charging", async () => {
    const { client } = setup({ battery: async () => ({ level: 0.05, charging: true }) });
    expect(await client.runOnce(fixedTrainer([1, 1, 1, 1]))).toMatchObject({
      action: "trained",
      workScale: 1,
    });
  });

  it("applies the server's last minBatteryLevel before checking in, also after a restart", async () => {
    // Prepare: a first round at 40 % brings the policy (minimum 50 %); a new version follows.
    let level = 0.9;
    const { client, fake, restart } = setup({ battery: async () => ({ level, charging: false }) });
    fake.policy = { minBatteryLevel: 0.5, workScale: 1 };
    await client.runOnce(fixedTrainer([1, 1, 1, 1]));
    fake.publish(new Float32Array(4));
    level = 0.4;

    // Execute
    const now = await client.runOnce(fixedTrainer([1, 1, 1, 1]));
    const afterRestart = await restart().runOnce(fixedTrainer([1, 1, 1, 1]));

    // Assert: the 40 % device did not ask, neither before nor after the restart.
    expect(now).toMatchObject({ action: "wait", reason: "battery-low" });
    expect(afterRestart).toMatchObject({ action: "wait", reason: "battery-low" });
    expect(fake.checkins).toHaveLength(1);
  });

  it("scales work by the smaller of the server's workScale and the battery's, with the configured hyper-parameters", async () => {
    // Prepare: the server asks for 80 %; the battery, at 50 %, allows 50 %.
    const { client, fake } = setup({
      battery: onBattery(0.5),
      training: { epochs: 3, learningRate: 0.1 },
    });
    fake.policy = { minBatteryLevel: 0.2, workScale: 0.8 };
    const trainer = fixedTrainer([1, 1, 1, 1]);

    // Execute
    const result = await client.runOnce(trainer);

    // Assert
    expect(trainer.calls[0]?.options).toEqual({
      epochs: 3,
      learningRate: 0.1,
      batchSize: 32,
      workScale: 0.5,
    });
    expect(result).toMatchObject({ action: "trained", workScale: 0.5 });
    expect(fake.checkins[0]?.battery).toEqual({ level: 0.5, charging: false });
  });

  it("reports its measured RTT and last upload throughput, and the probed link type, at check-in", async () => {
    // Prepare: every small request takes 20 ms, every upload 100 ms; the platform guesses 999 ms.
    const { client, fake } = setup({ network: async () => ({ type: "wifi", rttMs: 999 }) });
    fake.latency = { requestMs: 20, uploadMs: 100 };

    // Execute: a first round, then a second after a new version.
    await client.runOnce(fixedTrainer([1, 1, 1, 1]));
    fake.publish(new Float32Array(4));
    await client.runOnce(fixedTrainer([1, 1, 1, 1]));

    // Assert: the first check-in knows the registration's 20 ms; the second also the
    // 64-byte frame (48 + 4 × 4) answered in 100 ms, 20 of them the round trip.
    expect(fake.checkins[0]).toEqual({ network: { type: "wifi", rttMs: 20 } });
    expect(fake.checkins[1]).toEqual({ network: { type: "wifi", rttMs: 20, uplinkBytesPerSecond: 800 } });
  });
});

describe("FedgeClient training rounds", () => {
  it("trains once per version: the next check-in waits for the server's Retry-After", async () => {
    const { client } = setup();
    const trainer = fixedTrainer([1, 1, 1, 1]);
    await client.runOnce(trainer);
    expect(await client.runOnce(trainer)).toEqual({
      action: "wait",
      retryAfterMs: 60_000,
      reason: "assigned",
    });
    expect(trainer.calls).toHaveLength(1);
  });

  it("trains from the downloaded weights and frames the update with the version and layout hash", async () => {
    const { client, fake } = setup();
    fake.publish(Float32Array.of(1, 2, 3, 4));
    const trainer = fixedTrainer([0.5, 0, 0, -0.5], 12);
    await client.runOnce(trainer);
    expect([...trainer.calls[0]!.weights]).toEqual([1, 2, 3, 4]);
    const [update] = [...fake.accepted.values()];
    expect(update).toMatchObject({ baseVersion: 1, sampleWeight: 12, layoutHash: "6e54213a" });
  });

  it("queues nothing when the trainer had no examples", async () => {
    const { client, fake } = setup({ idleRetryMs: 1000 });
    expect(await client.runOnce(fixedTrainer([1, 1, 1, 1], 0))).toEqual({
      action: "wait",
      retryAfterMs: 1000,
      reason: "no-data",
    });
    expect(fake.requests.filter((r) => r.route === "updates")).toHaveLength(0);
    expect(await client.stats()).toMatchObject({ made: 0, pending: 0 });
  });
});

/** Sends the integer part of update + residual and carries the rest: a minimal error-feedback encoder. */
class TruncatingEncoder implements UpdateEncoder {
  residual: Float32Array = new Float32Array(4);
  readonly hints: (CompressionHint | undefined)[] = [];
  restored: unknown[] = [];

  encode(update: Float32Array, meta: EncodeMeta, compression?: CompressionHint): Uint8Array {
    this.hints.push(compression);
    const sent = new Float32Array(update.length);
    for (let i = 0; i < update.length; i++) {
      const owed = update[i]! + this.residual[i]!;
      sent[i] = Math.trunc(owed);
      this.residual[i] = owed - sent[i]!;
    }
    return encodeDenseF32Frame(sent, meta);
  }

  saveState(): unknown {
    return { residual: this.residual.slice() };
  }

  restoreState(state: unknown): void {
    this.restored.push(structuredClone(state));
    this.residual = (state as { residual: Float32Array }).residual;
  }
}

describe("FedgeClient encoder state", () => {
  it("carries the encoder's residual into the next update, across a restart", async () => {
    // Prepare: a first round sends trunc(0.75) = 0 and owes 0.75.
    const { fake, restart } = setup();
    fake.compression = { density: 0.1, bits: 8 };
    const first = new TruncatingEncoder();
    await restart({ encoder: first }).runOnce(fixedTrainer([0.75, 0.75, 0.75, 0.75]));
    fake.publish(new Float32Array(4));

    // Execute: the app restarts with a fresh encoder; the second round owes 0.75 + 0.75.
    const second = new TruncatingEncoder();
    await restart({ encoder: second }).runOnce(fixedTrainer([0.75, 0.75, 0.75, 0.75]));

    // Assert: restored before encoding; sent 0, then 1; 0.5 still owed, and the hint was passed on.
    expect(second.restored).toEqual([{ residual: Float32Array.of(0.75, 0.75, 0.75, 0.75) }]);
    expect([...fake.accepted.values()].map((u) => [...u.values])).toEqual([
      [0, 0, 0, 0],
      [1, 1, 1, 1],
    ]);
    expect([...second.residual]).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect(first.hints).toEqual([{ density: 0.1, bits: 8 }]);
  });
});
