/**
 * Upstream's stream framing (tokio LengthDelimitedCodec defaults, docs/network.md, wire formats): every frame is a
 * u32 big-endian length followed by that many bytes. Frames above `max` end the stream with an error.
 */
import type { Stream, StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface';

export const MAX_FRAME = 8 * 1024 * 1024;

export class FrameError extends Error {}

export function frame(payload: Uint8Array): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(payload.length);
  return Buffer.concat([head, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)]);
}

/** The part of a libp2p stream the reader uses: its data events, and pausing its delivery. */
export type ReadableMessageStream = Pick<
  Stream,
  'addEventListener' | 'removeEventListener' | 'pause' | 'resume' | 'readBufferLength' | 'readStatus' | 'maxReadBufferLength'
>;

/**
 * What the sender may still have in flight when the stream is paused: yamux stops granting window, but up to its
 * largest stream window (16 MiB) may already be granted. A reader of large frames lets libp2p hold that much
 * while paused, so a fast honest sender is not reset; small-frame readers keep libp2p's default (4 MiB).
 */
const MUXER_WINDOW = 16 * 1024 * 1024;

/**
 * Reads frames from a libp2p stream, holding at most about one frame of unread bytes.
 *
 * libp2p's async iterator queues whatever arrives without bound, and its muxer hands the window back on arrival,
 * so a peer that sends faster than the frames are read (requests whose answers it never reads, which leaves the
 * handler waiting to send) could fill the node's memory. This reader pauses the stream once more than a full frame
 * of bytes is waiting and resumes it as frames are taken; while paused, libp2p keeps at most its
 * `maxReadBufferLength` (4 MiB) and resets the stream past it. Chunks are kept as a list and joined once per frame
 * (joining on every chunk made a large frame in small chunks cost quadratic time).
 */
export class FrameReader {
  private parts: Buffer[] = [];
  private size = 0;
  private paused = false;
  private resuming = false;
  private ended = false;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;
  private readonly highWater: number;

  constructor(
    private readonly stream: ReadableMessageStream,
    private readonly max = MAX_FRAME,
  ) {
    this.highWater = max + 4;
    if (max >= 1024 * 1024) stream.maxReadBufferLength = Math.max(stream.maxReadBufferLength, MUXER_WINDOW + this.highWater);
    stream.addEventListener('message', this.onMessage);
    stream.addEventListener('close', this.onClose);
    stream.addEventListener('remoteCloseWrite', this.onEnd);
    // Bytes that arrived before the listener was there wait in libp2p's buffer until something dispatches them.
    if (stream.readBufferLength > 0 && stream.readStatus === 'readable') {
      stream.pause();
      stream.resume();
    }
  }

  private readonly onMessage = (e: StreamMessageEvent) => {
    const chunk = e.data instanceof Uint8Array ? e.data : e.data.subarray();
    this.parts.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    this.size += chunk.byteLength;
    // Not while libp2p is resuming (it hands over what it held, then tells the muxer to grant window again):
    // pausing in between would leave the muxer granting window to a paused stream. Checked after the resume.
    if (!this.resuming) this.pauseIfFull();
    this.signal();
  };

  private pauseIfFull(): void {
    if (this.size > this.highWater && !this.paused && this.stream.readStatus === 'readable') {
      this.paused = true;
      this.stream.pause();
    }
  }

  private readonly onClose = (e: StreamCloseEvent) => {
    if (e.error) this.failure ??= e.error;
    this.onEnd();
  };

  private readonly onEnd = () => {
    this.ended = true;
    this.signal();
  };

  private signal(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private detach(): void {
    this.stream.removeEventListener('message', this.onMessage);
    this.stream.removeEventListener('close', this.onClose);
    this.stream.removeEventListener('remoteCloseWrite', this.onEnd);
  }

  /** The first `n` bytes held (n <= size), removed from the list. */
  private take(n: number): Buffer {
    const first = this.parts[0]!;
    if (first.length >= n) {
      this.parts[0] = first.subarray(n);
      if (this.parts[0].length === 0) this.parts.shift();
      this.size -= n;
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const p = this.parts[0]!;
      const k = Math.min(p.length, n - at);
      p.copy(out, at, 0, k);
      at += k;
      if (k === p.length) this.parts.shift();
      else this.parts[0] = p.subarray(k);
    }
    this.size -= n;
    return out;
  }

  /** The frame length announced by the next 4 bytes (they stay held). */
  private peekLength(): number {
    if (this.parts[0]!.length < 4) {
      this.parts.unshift(this.take(4));
      this.size += 4;
    }
    return this.parts[0]!.readUInt32BE(0);
  }

  /** The next frame, or null at the end of the stream. */
  async next(): Promise<Uint8Array | null> {
    try {
      for (;;) {
        if (this.size >= 4) {
          const len = this.peekLength();
          if (len > this.max) throw new FrameError(`frame of ${len} bytes exceeds the limit of ${this.max}`);
          if (this.size >= 4 + len) {
            this.take(4);
            const out = new Uint8Array(this.take(len));
            if (this.paused && this.size <= this.highWater && this.stream.readStatus === 'paused') {
              this.paused = false;
              this.resuming = true;
              try {
                this.stream.resume();
              } finally {
                this.resuming = false;
              }
              this.pauseIfFull();
            }
            return out;
          }
        }
        if (this.failure) throw this.failure;
        if (this.ended) {
          if (this.size > 0) throw new FrameError('stream ended inside a frame');
          this.detach();
          return null;
        }
        await new Promise<void>((r) => (this.wake = r));
      }
    } catch (err) {
      this.detach();
      throw err;
    }
  }
}

/** Sends one frame, waiting for the stream to drain when its buffer is full. */
export async function sendFrame(stream: Stream, payload: Uint8Array): Promise<void> {
  if (!stream.send(frame(payload))) await stream.onDrain();
}
