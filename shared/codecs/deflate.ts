/**
 * Optional DEFLATE of a payload (RFC 1951, raw: no zlib or gzip wrapper), announced by
 * frame flag bit 0. Compression Streams are the one compressor every target has
 * (browsers, workerd, Node), and they are asynchronous; so deflating is a separate step
 * after encoding and inflating a separate step before decoding, and the synchronous
 * decode-and-accumulate path never sees deflated bytes.
 *
 * Inflating is bounded: output past maxBytes (by default the largest legal raw payload,
 * 4·dim) cancels the stream, so a deflate bomb costs no more memory than a raw frame.
 */
import { encodeFrame, type Frame, parseFrame } from "../protocol/frame";
import { CodecError, codecError } from "./codec-error";
import { FrameFlag } from "./ids";
import { maxPayloadBytes, payloadLayout } from "./layout";

/**
 * The frame with its payload deflated and flag bit 0 set, or the frame unchanged if it is
 * already deflated or deflating would not make the payload smaller.
 */
export async function deflateFrame(frame: Uint8Array): Promise<Uint8Array> {
  const { header, payload } = parseFrame(frame);
  if ((header.flags & FrameFlag.Deflate) !== 0) return frame;
  const stream = new Blob([payload]).stream().pipeThrough(new CompressionStream("deflate-raw"));
  const deflated = new Uint8Array(await new Response(stream).arrayBuffer());
  if (deflated.byteLength >= payload.byteLength) return frame;
  return encodeFrame({ ...header, flags: header.flags | FrameFlag.Deflate }, deflated, header);
}

/**
 * The frame with its payload inflated and flag bit 0 cleared, checked like a raw payload
 * by parseFrame; a frame that is not deflated is returned as it is. Throws CodecError
 * "inflate_failed" or "inflated_too_large".
 */
export async function inflatePayload(
  frame: Frame,
  maxBytes = maxPayloadBytes(frame.header.dim),
): Promise<Frame> {
  const { header } = frame;
  if ((header.flags & FrameFlag.Deflate) === 0) return frame;
  const payload = await inflateRaw(frame.payload, maxBytes);
  payloadLayout(header.codec, header.dim, payload, header.nnz);
  return {
    header: { ...header, flags: header.flags & ~FrameFlag.Deflate, payloadBytes: payload.byteLength },
    payload,
  };
}

async function inflateRaw(data: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  const stream = new DecompressionStream("deflate-raw");
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  // Not awaited: the reader drives the stream, and a corrupt stream surfaces through read().
  writer.write(data).catch(() => {});
  writer.close().catch(() => {});
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        reader.cancel().catch(() => {});
        codecError("inflated_too_large", `the payload inflates to more than ${maxBytes} bytes`);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof CodecError) throw error;
    const detail = error instanceof Error && error.message ? error.message : String(error);
    codecError("inflate_failed", `the payload is not a complete raw DEFLATE stream (${detail})`);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}
