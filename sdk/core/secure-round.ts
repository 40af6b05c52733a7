/**
 * A device's side of its cluster's secure round for one version
 * (shared/privacy/secagg/protocol.ts; docs/protocol.md#secure-aggregation): clip the update
 * to the task's norm, quantize it to fixed point, and take it through the four phases,
 * polling the round between them. The cluster learns only the sum of the members' inputs.
 */
import { clipToNorm } from "../../shared/aggregation/clipping";
import { addDiscreteGaussian } from "../../shared/privacy/discrete-gaussian";
import { quantize, SecAggClient } from "../../shared/privacy/secagg/protocol";
import type { SecureRoundViewBody } from "../../shared/protocol/api";

export type SecurePhase = SecureRoundViewBody["phase"];

/** How the device reaches its round: GET the view, POST JSON or bytes to a phase's endpoint. */
export interface SecureTransport {
  get(url: string): Promise<SecureRoundViewBody>;
  post(url: string, body: unknown): Promise<SecureRoundViewBody>;
  postBytes(url: string, body: Uint8Array): Promise<SecureRoundViewBody>;
}

export type SecureOutcome =
  /** The round unmasked a sum that holds this device's update. */
  | { status: "aggregated"; version: number; members: number }
  /** The round ended without this device's update: abandoned, or it went on without it. */
  | { status: "dropped"; version: number; reason: string };

export interface SecureRoundOptions {
  device: string;
  /** The check-in's upload.secure.url: /v1/tasks/:task/secure/:version. */
  url: string;
  update: Float32Array;
  clipNorm: number;
  transport: SecureTransport;
  sleep: (ms: number) => Promise<void>;
  /** Between polls of the round (default 250 ms). */
  pollMs?: number;
  /** For tests and simulations: leave the round after this phase, as a device that loses its link would. */
  leaveAfter?: "keys" | "shares" | "masked";
}

const ORDER: SecurePhase[] = ["keys", "shares", "masked", "unmask", "done"];

/** Calls a round's endpoint again after a failure: every call is idempotent (a resend changes nothing). */
const ATTEMPTS = 4;

export async function runSecureRound(o: SecureRoundOptions): Promise<SecureOutcome> {
  const pollMs = o.pollMs ?? 250;
  const retried = async <T>(call: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (attempt >= ATTEMPTS) throw error;
        await o.sleep(pollMs * attempt);
      }
    }
  };
  const poll = () => retried(() => o.transport.get(o.url));
  let view = await poll();
  const version = view.version;
  const dropped = (reason: string): SecureOutcome => ({ status: "dropped", version, reason });
  /** Polls until the round reaches `phase` (or ends); the device must still be in it. */
  const reach = async (phase: SecurePhase) => {
    while (ORDER.indexOf(view.phase) < ORDER.indexOf(phase) && view.phase !== "abandoned") {
      await o.sleep(Math.max(0, Math.min(pollMs, view.deadlineAt - Date.now() + 10)));
      view = await poll();
    }
    if (view.phase === "abandoned") return dropped(`the round was abandoned: ${view.reason}`);
    if (view.phase !== phase) return dropped(`the round reached its ${view.phase} phase without this device`);
    if (!view.member) return dropped(`the round went on to its ${phase} phase without this device`);
    return null;
  };

  /**
   * Sends a phase's call. Refused because the round moved on without this device (its
   * phase ended, or the round was abandoned), the device is dropped; other failures throw.
   */
  const send = async (
    phase: SecurePhase,
    call: () => Promise<SecureRoundViewBody>,
  ): Promise<SecureOutcome | null> => {
    try {
      view = await retried(call);
      return null;
    } catch (error) {
      const now = await poll().catch(() => null);
      if (!now || now.phase === phase) throw error;
      view = now;
      if (now.phase === "abandoned") return dropped(`the round was abandoned: ${now.reason}`);
      // A lost answer to a call that did land: the round went on with this device (as `member` says).
      if (now.phase === "done" && now.member) return null;
      return dropped(`the round went on to its ${now.phase} phase without this device`);
    }
  };

  const client = await SecAggClient.start(o.device, view.name);
  const { cPk, sPk } = client.advertisement();
  const joined = await send("keys", () => o.transport.post(`${o.url}/keys`, { cPk, sPk }));
  if (joined) return joined;
  if (o.leaveAfter === "keys") return dropped("left after advertising keys");
  const atShares = await reach("shares");
  if (atShares) return atShares;
  const shares = await client.shareKeys(view.roster ?? [], view.threshold ?? 0);
  const sent = await send("shares", () =>
    o.transport.post(`${o.url}/shares`, { shares: shares.map(({ to, ciphertext }) => ({ to, ciphertext })) }),
  );
  if (sent) return sent;
  if (o.leaveAfter === "shares") return dropped("left after sharing keys");
  const atMasked = await reach("masked");
  if (atMasked) return atMasked;
  const fixed = quantize(clipToNorm(o.update, o.clipNorm), view.bound, view.scale);
  // Distributed DP: this device's share of the round's noise, in the fixed-point domain.
  if (view.noiseStd > 0) addDiscreteGaussian(fixed, view.noiseStd * view.scale);
  const masked = await client.maskedInput(fixed, view.incoming ?? []);
  const input = await send("masked", () =>
    o.transport.postBytes(`${o.url}/masked`, new Uint8Array(masked.buffer)),
  );
  if (input) return input;
  if (o.leaveAfter === "masked") return dropped("left after sending its masked input");
  const atUnmask = await reach("unmask");
  if (atUnmask) return atUnmask;
  const members = view.survivors?.length ?? 0;
  // Revealed once, whatever happens to the call: a resend carries the same shares.
  const reveal = { shares: client.unmask(view.survivors ?? []) };
  const revealed = await send("unmask", () => o.transport.post(`${o.url}/unmask`, reveal));
  if (revealed) return revealed;
  const done = await reach("done");
  return done ?? { status: "aggregated", version, members };
}
