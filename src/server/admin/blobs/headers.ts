import type { FastifyReply } from 'fastify';
import { encodeId } from '../../../util/ids.ts';
import type { BlobInfo } from '../../../node/blobs.ts';

/** The headers upstream sends with a blob (docs/wire.md, Applications). */
export function blobHeaders(reply: FastifyReply, info: BlobInfo, mime: string): void {
  const hex = Buffer.from(info.hash).toString('hex');
  reply
    .header('content-length', String(info.size))
    .header('content-type', mime)
    .header('etag', `"${hex}"`)
    .header('cache-control', 'public, max-age=3600')
    .header('x-blob-id', encodeId(info.blobId))
    .header('x-blob-hash', hex)
    .header('x-blob-mime-type', mime)
    .header('access-control-expose-headers', 'X-Blob-ID, X-Blob-Hash, X-Blob-MIME-Type, ETag');
}
