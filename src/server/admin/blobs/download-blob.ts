import { permission } from '../../../auth/index.ts';
import { defineRoute } from '../../route.ts';
import { decodeId } from '../../../util/ids.ts';
import { jsonError } from '../../errors.ts';
import { blobHeaders } from './headers.ts';
import { sniffMime } from './sniff.ts';

/** GET /admin-api/blobs/:blob_id — streams the bytes with upstream's headers. */
export default defineRoute({
  method: 'GET',
  url: '/admin-api/blobs/:blob_id',
  access: 'protected',
    permission: ({ params }) => permission('blob', 'get', params.blob_id!),
  produces: 'application/octet-stream',
  async handler({ node, params, query, reply }) {
    let id: Uint8Array;
    try {
      id = decodeId(params.blob_id);
    } catch {
      throw jsonError(400, 'Invalid blob ID format');
    }
    if (query.context_id !== undefined) {
      try {
        decodeId(query.context_id);
      } catch {
        throw jsonError(400, 'Invalid context ID format');
      }
    }
    const info = await node.blobs.info(id);
    const stream = info && (await node.blobs.stream(id));
    if (!info || !stream) throw jsonError(404, 'Blob not found locally or in network');
    // Sniff from the first chunk without buffering the whole blob.
    const it = stream[Symbol.asyncIterator]();
    const first = await it.next();
    const head = first.done ? Buffer.alloc(0) : (first.value as Buffer);
    blobHeaders(reply, info, sniffMime(head));
    const { Readable } = await import('node:stream');
    const rest = Readable.from(
      (async function* () {
        if (head.length) yield head;
        for (let r = await it.next(); !r.done; r = await it.next()) yield r.value as Buffer;
      })(),
    );
    return reply.send(rest);
  },
});
