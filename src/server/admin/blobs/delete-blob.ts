import { permission } from '../../../auth/index.ts';
import { defineRoute } from '../../route.ts';
import { decodeId, encodeId } from '../../../util/ids.ts';
import { jsonError } from '../../errors.ts';
import { deleteBlobResponse } from '../../../wire/admin.ts';

/** DELETE /admin-api/blobs/:blob_id — a missing blob is 404 here (upstream answers 500). */
export default defineRoute({
  method: 'DELETE',
  url: '/admin-api/blobs/:blob_id',
  access: 'protected',
    permission: ({ params }) => permission('blob', 'remove', params.blob_id!),
  response: deleteBlobResponse,
  async handler({ node, params }) {
    let id: Uint8Array;
    try {
      id = decodeId(params.blob_id);
    } catch {
      throw jsonError(400, 'Invalid blob ID format');
    }
    if (!(await node.blobs.delete(id))) throw jsonError(404, 'Failed to delete blob: Blob not found');
    return { blob_id: encodeId(id), deleted: true };
  },
});
