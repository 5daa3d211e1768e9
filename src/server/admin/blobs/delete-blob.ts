import type { Handler } from '../../handler.ts';
import type { Services } from '../../services.ts';
import type { blobRoutes } from '../../../wire/routes/blobs.ts';
import { encodeId } from '../../../util/ids.ts';
import { jsonError } from '../../errors.ts';
import { blobIdParam } from './blob-id.ts';

/**
 * DELETE /admin-api/blobs/:blob_id — a missing blob is 404 here (upstream answers 500); the module of an installed
 * application is refused 409 (upstream deletes it, and the application can no longer start).
 */
export default (s: Pick<Services, 'apps'>): Handler<typeof blobRoutes.deleteBlob> =>
  async ({ params }) => {
    const id = blobIdParam(params.blob_id);
    const r = await s.apps.deleteBlob(id);
    if (r.usedBy) throw jsonError(409, `Failed to delete blob: it is the module of installed application ${encodeId(r.usedBy)}; uninstall that first`);
    if (!r.deleted) throw jsonError(404, 'Failed to delete blob: Blob not found');
    return { blob_id: encodeId(id), deleted: true };
  };
