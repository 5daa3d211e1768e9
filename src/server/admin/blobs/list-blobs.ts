import { permission } from '../../../auth/index.ts';
import { defineRoute } from '../../route.ts';
import { encodeId } from '../../../util/ids.ts';
import { listBlobsResponse } from '../../../wire/admin.ts';

export default defineRoute({
  method: 'GET',
  url: '/admin-api/blobs',
  access: 'protected',
    permission: () => permission('blob', 'list'),
  response: listBlobsResponse,
  async handler({ node }) {
    const blobs = await node.blobs.list();
    return { data: { blobs: blobs.map((b) => ({ blob_id: encodeId(b.blobId), size: b.size })) } };
  },
});
