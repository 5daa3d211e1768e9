import type { Readable } from 'node:stream';
import type { Handler } from '../../handler.ts';
import type { Services } from '../../services.ts';
import type { blobRoutes } from '../../../wire/routes/blobs.ts';
import { encodeId } from '../../../util/ids.ts';
import { blobIdParam } from './blob-id.ts';

/**
 * PUT /admin-api/blobs?hash=&context_id= — raw body streamed into the blob store. A body over
 * `[server.limits] blob_limit_bytes` or with another hash is refused (mapped in src/server/errors.ts).
 */
export default (s: Pick<Services, 'blobs' | 'config'>): Handler<typeof blobRoutes.uploadBlob> =>
  async ({ body, query }) => {
    const expectedHash = query.hash !== undefined ? blobIdParam(query.hash, 'The provided hash is not a valid format') : undefined;
    if (query.context_id !== undefined) blobIdParam(query.context_id, 'The provided context_id is not a valid format');
    const stream = (body as Readable | undefined) ?? [];
    const limit = s.config.server.limits?.blob_limit_bytes ?? 1024 * 1024 * 1024;
    const info = await s.blobs.put(stream as AsyncIterable<Uint8Array>, { limit, expectedHash });
    return { data: { blob_id: encodeId(info.blobId), size: info.size } };
  };
