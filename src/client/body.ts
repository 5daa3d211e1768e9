import { base58 } from '@scure/base';
import type { BlobSource } from './types.ts';

/**
 * Bytes on the wire are JSON arrays of numbers (never base64): a `Uint8Array` or an array of integers
 * 0..255 is sent as is, `undefined` as `[]`, any other value as the UTF-8 bytes of its JSON text.
 */
export function jsonBytes(value: unknown): number[] {
  if (value === undefined) return [];
  if (value instanceof Uint8Array) return [...value];
  if (Array.isArray(value) && value.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) return value as number[];
  return [...new TextEncoder().encode(JSON.stringify(value))];
}

/** Decodes wire bytes (`[123,125]`) as JSON, or returns undefined when they are not JSON text. */
export function bytesToJson(bytes: number[] | Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(bytes)));
  } catch {
    return undefined;
  }
}

/** base58 sha256 of some bytes: the `hash` an install-application request or blob upload can carry. */
export async function hashBytes(bytes: Uint8Array): Promise<string> {
  return base58.encode(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)));
}

/** The headers the node sends with a blob (HEAD / GET `/admin-api/blobs/:id`). */
export interface BlobHeaders {
  blobId: string;
  size: number;
  mimeType: string;
  /** hex sha256 of the whole content */
  hash: string;
  etag: string;
}

export function blobHeaders(id: string, h: Headers): BlobHeaders {
  const mime = h.get('x-blob-mime-type') ?? h.get('content-type') ?? 'application/octet-stream';
  return {
    blobId: h.get('x-blob-id') ?? id,
    size: Number(h.get('content-length') ?? NaN),
    mimeType: mime,
    hash: h.get('x-blob-hash') ?? '',
    etag: h.get('etag') ?? '',
  };
}

export async function errorBody(res: Response): Promise<unknown> {
  const text = await res.text().catch(() => '');
  try {
    return text ? JSON.parse(text) : '';
  } catch {
    return text;
  }
}

/** Whether a fetch body can be sent twice (not a one-shot stream). */
export function replayable(body: BodyInit | null | undefined): boolean {
  return !(typeof ReadableStream !== 'undefined' && body instanceof ReadableStream);
}

export function isBinary(v: unknown): boolean {
  return (
    v instanceof Uint8Array ||
    v instanceof ArrayBuffer ||
    (typeof Blob !== 'undefined' && v instanceof Blob) ||
    (typeof ReadableStream !== 'undefined' && v instanceof ReadableStream) ||
    (typeof v === 'object' && v !== null && !Array.isArray(v) && Symbol.asyncIterator in v)
  );
}

/** A fetch body for bytes or a stream (streams need `duplex: 'half'`). */
export function toBody(src: BlobSource): { payload: BodyInit; duplex?: 'half' } {
  if (src instanceof Uint8Array || src instanceof ArrayBuffer) return { payload: src as BodyInit };
  if (typeof Blob !== 'undefined' && src instanceof Blob) return { payload: src };
  if (typeof ReadableStream !== 'undefined' && src instanceof ReadableStream) return { payload: src, duplex: 'half' };
  const it = (src as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  const stream = new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      const { value, done } = await it.next();
      if (done) ctrl.close();
      else ctrl.enqueue(value instanceof Uint8Array ? value : new Uint8Array(value as ArrayBuffer));
    },
    async cancel(reason) {
      await it.return?.(reason);
    },
  });
  return { payload: stream, duplex: 'half' };
}
