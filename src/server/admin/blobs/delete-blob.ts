import type { Handler } from '../../handler.ts';
import type { Services } from '../../services.ts';
import type { blobRoutes } from '../../../wire/routes/blobs.ts';
import { encodeId } from '../../../util/ids.ts';
import { jsonError } from '../../errors.ts';
import { blobIdParam } from './blob-id.ts';

/** DELETE /admin-api/blobs/:blob_id — a missing blob is 404 here (upstream answers 500). */
export default (s: Pick<Services, 'blobs'>): Handler<typeof blobRoutes.deleteBlob> =>
  async ({ params }) => {
    const id = blobIdParam(params.blob_id);
    if (!(await s.blobs.delete(id))) throw jsonError(404, 'Failed to delete blob: Blob not found');
    return { blob_id: encodeId(id), deleted: true };
  };
