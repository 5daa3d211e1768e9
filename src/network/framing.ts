/**
 * Upstream's stream framing (tokio LengthDelimitedCodec defaults, docs/network.md, wire formats): every frame is a
 * u32 big-endian length followed by that many bytes. Frames above `max` end the stream with an error.
 */
import type { Stream } from '@libp2p/interface';

export const MAX_FRAME = 8 * 1024 * 1024;

export class FrameError extends Error {}

export function frame(payload: Uint8Array): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(payload.length);
  return Buffer.concat([head, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)]);
}

/** Reads frames from a libp2p stream (an async iterable of Uint8Array | Uint8ArrayList). */
export class FrameReader {
  private buf = Buffer.alloc(0);
  private readonly it: AsyncIterator<Uint8Array | { subarray(): Uint8Array }>;
  constructor(
    stream: AsyncIterable<Uint8Array | { subarray(): Uint8Array }>,
    private readonly max = MAX_FRAME,
  ) {
    this.it = stream[Symbol.asyncIterator]();
  }

  /** The next frame, or null at the end of the stream. */
  async next(): Promise<Uint8Array | null> {
    for (;;) {
      if (this.buf.length >= 4) {
        const len = this.buf.readUInt32BE(0);
        if (len > this.max) throw new FrameError(`frame of ${len} bytes exceeds the limit of ${this.max}`);
        if (this.buf.length >= 4 + len) {
          const out = this.buf.subarray(4, 4 + len);
          this.buf = this.buf.subarray(4 + len);
          return new Uint8Array(out);
        }
      }
      const r = await this.it.next();
      if (r.done) {
        if (this.buf.length > 0) throw new FrameError('stream ended inside a frame');
        return null;
      }
      const chunk = r.value instanceof Uint8Array ? r.value : r.value.subarray();
      this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
    }
  }
}

/** Sends one frame, waiting for the stream to drain when its buffer is full. */
export async function sendFrame(stream: Stream, payload: Uint8Array): Promise<void> {
  if (!stream.send(frame(payload))) await stream.onDrain();
}
