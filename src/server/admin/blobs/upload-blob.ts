import type { Readable } from 'node:stream';
import type { Handler } from '../../handler.ts';
import type { Services } from '../../services.ts';
import type { blobRoutes } from '../../../wire/routes/blobs.ts';
import { encodeId } from '../../../util/ids.ts';
import { blobIdParam } from './blob-id.ts';

/**
 * PUT /admin-api/blobs?hash=&context_id= — raw body streamed into the blob store. A body over
 * `[server.limits] blob_limit_bytes` or with another hash is refused (mapped in src/server/errors.ts). With
 * `context_id` the blob is shared with that context's members (src/node/sync/app-blobs.ts) when this node is one;
 * as upstream, a failed announcement is only logged.
 */
export default (s: Pick<Services, 'blobs' | 'config' | 'sync' | 'logger'>): Handler<typeof blobRoutes.uploadBlob> =>
  async ({ body, query }) => {
    const expectedHash = query.hash !== undefined ? blobIdParam(query.hash, 'The provided hash is not a valid format') : undefined;
    const ctx = query.context_id !== undefined ? blobIdParam(query.context_id, 'The provided context_id is not a valid format') : undefined;
    const stream = (body as Readable | undefined) ?? [];
    const limit = s.config.server.limits?.blob_limit_bytes ?? 1024 * 1024 * 1024;
    const info = await s.blobs.put(stream as AsyncIterable<Uint8Array>, { limit, expectedHash });
    if (ctx) {
      await s.sync.appBlobs.announce(ctx, info.blobId).catch((err: Error) => s.logger.warn({ err: err.message }, 'announcing an uploaded blob failed'));
    }
    return { data: { blob_id: encodeId(info.blobId), size: info.size } };
  };
