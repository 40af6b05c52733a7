/**
 * An UpdateEncoder whose state survives restarts: restored from the store before the first
 * encode, saved after every encode. The client queues the frame only after the save, so a
 * crash in between loses that one update (as if the device had dropped out of the round)
 * rather than sending the residual it carried a second time.
 */
import type { CompressionHint } from "./api-types";
import type { EncodeMeta, UpdateEncoder } from "./encoder";
import { decodeState, encodeState } from "./state-codec";
import { getBytes, type Store } from "./store";

export class PersistentEncoder {
  #restored: Promise<void> | undefined;

  constructor(
    private readonly encoder: UpdateEncoder,
    private readonly store: Store,
    private readonly key: string,
  ) {}

  async encode(update: Float32Array, meta: EncodeMeta, compression?: CompressionHint): Promise<Uint8Array> {
    await this.restore();
    const frame = await this.encoder.encode(update, meta, compression);
    if (this.encoder.saveState) await this.store.set(this.key, encodeState(this.encoder.saveState()));
    return frame;
  }

  /** The wrapped encoder's residual ratio of the last update it encoded (since this start), or null. */
  residualRatio(): number | null {
    return this.encoder.residualRatio?.() ?? null;
  }

  private restore(): Promise<void> {
    this.#restored ??= (async () => {
      const saved = await getBytes(this.store, this.key);
      if (saved !== undefined) this.encoder.restoreState?.(decodeState(saved));
    })();
    return this.#restored;
  }
}
