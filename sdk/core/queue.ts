/**
 * Pending updates, persisted: each is one store record (metadata + frame bytes) written once
 * when the update is made and deleted once the server has answered it for good. A client
 * started over the same store finds them and sends them, with the same bytes and so the
 * same update id: resends are idempotent on the server.
 */
import { decodeRecord, encodeRecord } from "./record";
import type { Store } from "./store";

export interface PendingMeta {
  /** Position in the queue; updates are sent oldest first. */
  seq: number;
  /** The frame's update id (32 hex digits), chosen once when the update was queued. */
  updateId: string;
  baseVersion: number;
  examples: number;
  /** Where to POST the frame (the check-in's `upload.url`). */
  url: string;
  /** When it was queued, ms since the epoch. */
  createdAt: number;
}

export interface PendingUpdate extends PendingMeta {
  frame: Uint8Array;
}

// Fixed width so that the store's keys sort in queue order as strings too.
const SEQ_DIGITS = 12;

export class UpdateQueue {
  #nextSeq: number | undefined;

  constructor(
    private readonly store: Store,
    private readonly prefix: string,
  ) {}

  async add(meta: Omit<PendingMeta, "seq">, frame: Uint8Array): Promise<PendingUpdate> {
    if (this.#nextSeq === undefined) {
      const seqs = await this.seqs();
      this.#nextSeq = seqs.length === 0 ? 1 : seqs[seqs.length - 1]! + 1;
    }
    const stored: PendingMeta = { ...meta, seq: this.#nextSeq++ };
    await this.store.set(this.key(stored.seq), encodeRecord(stored, frame));
    return { ...stored, frame };
  }

  /** Queued sequence numbers, oldest first. */
  async seqs(): Promise<number[]> {
    const keys = await this.store.keys(this.prefix);
    return keys.map((k) => Number(k.slice(this.prefix.length))).sort((a, b) => a - b);
  }

  /** One update, or undefined if it has been removed since it was listed. */
  async get(seq: number): Promise<PendingUpdate | undefined> {
    const value = await this.store.get(this.key(seq));
    if (!(value instanceof Uint8Array)) return undefined;
    const { meta, payload } = decodeRecord<PendingMeta>(value);
    return { ...meta, frame: payload };
  }

  async remove(seq: number): Promise<void> {
    await this.store.delete(this.key(seq));
  }

  async size(): Promise<number> {
    return (await this.store.keys(this.prefix)).length;
  }

  private key(seq: number): string {
    return `${this.prefix}${String(seq).padStart(SEQ_DIGITS, "0")}`;
  }
}
