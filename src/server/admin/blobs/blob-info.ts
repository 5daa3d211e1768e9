import type { Handler } from '../../handler.ts';
import type { Services } from '../../services.ts';
import type { blobRoutes } from '../../../wire/routes/blobs.ts';
import { jsonError } from '../../errors.ts';
import { blobHeaders } from './headers.ts';
import { sniffMime } from './sniff.ts';
import { blobIdParam } from './blob-id.ts';

/** HEAD /admin-api/blobs/:blob_id — the download headers without a body. */
export default (s: Pick<Services, 'blobs'>): Handler<typeof blobRoutes.blobInfo> =>
  async ({ params, reply }) => {
    const id = blobIdParam(params.blob_id);
    const info = await s.blobs.info(id);
    if (!info) throw jsonError(404, 'Blob not found');
    const stream = await s.blobs.stream(id);
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
  };
