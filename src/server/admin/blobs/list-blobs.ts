import type { Handler } from '../../handler.ts';
import type { Services } from '../../services.ts';
import type { blobRoutes } from '../../../wire/routes/blobs.ts';
import { encodeId } from '../../../util/ids.ts';

export default (s: Pick<Services, 'blobs'>): Handler<typeof blobRoutes.listBlobs> =>
  async () => {
    const blobs = await s.blobs.list();
    return { data: { blobs: blobs.map((b) => ({ blob_id: encodeId(b.blobId), size: b.size })) } };
  };
