import { Readable } from 'node:stream';
import type { Handler } from '../../handler.ts';
import type { Services } from '../../services.ts';
import type { blobRoutes } from '../../../wire/routes/blobs.ts';
import { jsonError } from '../../errors.ts';
import { blobHeaders } from './headers.ts';
import { sniffMime } from './sniff.ts';
import { blobIdParam } from './blob-id.ts';

/**
 * GET /admin-api/blobs/:blob_id[?context_id=] — streams the bytes with upstream's headers. With `context_id`, a
 * blob missing here is first fetched from the members of that context (src/node/sync/app-blobs.ts).
 */
export default (s: Pick<Services, 'blobs' | 'sync'>): Handler<typeof blobRoutes.downloadBlob> =>
  async ({ params, query, reply }) => {
    const id = blobIdParam(params.blob_id);
    const ctx = query.context_id !== undefined ? blobIdParam(query.context_id, 'Invalid context ID format') : undefined;
    if (ctx) await s.sync.appBlobs.ensure(ctx, id);
    const info = await s.blobs.info(id);
    const stream = info && (await s.blobs.stream(id));
    if (!info || !stream) throw jsonError(404, 'Blob not found locally or in network');
    // Sniff from the first chunk without buffering the whole blob.
    const it = stream[Symbol.asyncIterator]();
    const first = await it.next();
    const head = first.done ? Buffer.alloc(0) : (first.value as Buffer);
    blobHeaders(reply, info, sniffMime(head));
    const rest = Readable.from(
      (async function* () {
        if (head.length) yield head;
        for (let r = await it.next(); !r.done; r = await it.next()) yield r.value as Buffer;
      })(),
    );
    return reply.send(rest);
  };
