import { permission } from '../../../auth/index.ts';
import type { Readable } from 'node:stream';
import { defineRoute } from '../../route.ts';
import { decodeId, encodeId } from '../../../util/ids.ts';
import { jsonError } from '../../errors.ts';
import { BlobHashMismatchError, BlobTooLargeError } from '../../../node/blobs.ts';
import { uploadBlobResponse } from '../../../wire/admin.ts';

/** PUT /admin-api/blobs?hash=&context_id= — raw body streamed into the blob store. */
export default defineRoute({
  method: 'PUT',
  url: '/admin-api/blobs',
  access: 'protected',
    permission: () => permission('blob', 'add:stream'),
  response: uploadBlobResponse,
  rawBody: true,
  async handler({ node, body, query }) {
    let expectedHash: Uint8Array | undefined;
    if (query.hash !== undefined) {
      try {
        expectedHash = decodeId(query.hash);
      } catch {
        throw jsonError(400, 'The provided hash is not a valid format');
      }
    }
    if (query.context_id !== undefined) {
      try {
        decodeId(query.context_id);
      } catch {
        throw jsonError(400, 'The provided context_id is not a valid format');
      }
    }
    const stream = (body as Readable | undefined) ?? [];
    const limit = node.config.server.limits?.blob_limit_bytes ?? 1024 * 1024 * 1024;
    try {
      const info = await node.blobs.put(stream as AsyncIterable<Uint8Array>, { limit, expectedHash });
      return { data: { blob_id: encodeId(info.blobId), size: info.size } };
    } catch (err) {
      if (err instanceof BlobTooLargeError) throw jsonError(413, `Failed to store blob: ${err.message}`);
      if (err instanceof BlobHashMismatchError) throw jsonError(400, 'Failed to store blob: hash mismatch');
      throw err;
    }
  },
});
