/**
 * The client's own measurements of its link, reported at check-in so the server can size
 * work and compression to the device: round-trip time from small requests, and upload
 * throughput from the last update it sent. Measured rather than asked of the platform,
 * whose estimates (where they exist at all) describe the local hop, not the path to fedge.
 */
export class LinkMetrics {
  #rttMs: number | undefined;
  #uplinkBytesPerSecond: number | undefined;
  #refusedUploads = 0;

  /**
   * Smoothed as TCP smooths its RTT (RFC 6298 §2: SRTT ← 7/8·SRTT + 1/8·R), so one slow
   * request does not swing the report.
   */
  recordRoundTrip(ms: number): void {
    if (!(ms >= 0)) return;
    this.#rttMs = this.#rttMs === undefined ? ms : (7 * this.#rttMs + ms) / 8;
  }

  /**
   * Bytes sent over the time they took: the time until the answer less the round trip
   * it also contains (the smoothed RTT; never below a twentieth of the whole, so a noisy
   * RTT cannot make a small upload look instant), smoothed over uploads (¼ new). Without
   * the subtraction a small update on a fast link measures the RTT, not the link. A zero
   * duration carries no information.
   */
  recordUpload(bytes: number, ms: number): void {
    if (!(ms > 0)) return;
    const transferMs = this.#rttMs === undefined ? ms : Math.max(ms - this.#rttMs, ms / 20);
    const sample = (bytes * 1000) / transferMs;
    const last = this.#uplinkBytesPerSecond;
    this.#uplinkBytesPerSecond = last === undefined ? sample : (3 * last + sample) / 4;
  }

  /** An upload the server refused for load (429, 503): reported once, at the next check-in. */
  recordRefusal(): void {
    this.#refusedUploads += 1;
  }

  /** Upload refusals since the last call. */
  takeRefusedUploads(): number {
    const n = this.#refusedUploads;
    this.#refusedUploads = 0;
    return n;
  }

  get rttMs(): number | undefined {
    return this.#rttMs === undefined ? undefined : Math.round(this.#rttMs);
  }

  get uplinkBytesPerSecond(): number | undefined {
    return this.#uplinkBytesPerSecond === undefined ? undefined : Math.round(this.#uplinkBytesPerSecond);
  }
}
