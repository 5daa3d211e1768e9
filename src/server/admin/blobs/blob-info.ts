import { permission } from '../../../auth/index.ts';
import { defineRoute } from '../../route.ts';
import { decodeId } from '../../../util/ids.ts';
import { jsonError } from '../../errors.ts';
import { blobHeaders } from './headers.ts';
import { sniffMime } from './sniff.ts';

/** HEAD /admin-api/blobs/:blob_id — the download headers without a body. */
export default defineRoute({
  method: 'HEAD',
  url: '/admin-api/blobs/:blob_id',
  access: 'protected',
    permission: ({ params }) => permission('blob', 'get', params.blob_id!),
  async handler({ node, params, reply }) {
    let id: Uint8Array;
    try {
      id = decodeId(params.blob_id);
    } catch {
      throw jsonError(400, 'Invalid blob ID format');
    }
    const info = await node.blobs.info(id);
    if (!info) throw jsonError(404, 'Blob not found');
    const stream = await node.blobs.stream(id);
    let head: Buffer = Buffer.alloc(0);
    if (stream) {
      for await (const c of stream) {
        head = c as Buffer;
        break;
      }
      stream.destroy();
    }
    blobHeaders(reply, info, sniffMime(head));
    return reply.code(200).send();
  },
});
