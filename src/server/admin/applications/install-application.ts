import { defineRoute } from '../../route.ts';
import { installApplicationRequest, installApplicationResponse } from '../../../wire/admin.ts';
import { decodeId, encodeId } from '../../../util/ids.ts';
import { installFailure } from './install-error.ts';
import { withApplicationLimit } from '../limits.ts';
import { ownBlobId } from './own-blob.ts';

/**
 * POST /admin-api/install-application — download a WASM module from a URL (or file:// URL) and register it.
 * A URL of this node's own blob route (`/admin-api/blobs/<id>`, what the dashboard's file upload sends) is
 * read from the blob store instead of downloaded: the download would need a token (ours: upstream 401s).
 */
export default defineRoute({
  method: 'POST',
  url: '/admin-api/install-application',
  access: 'protected',
  response: installApplicationResponse,
  body: { schema: installApplicationRequest, errors: 'validated' },
  async handler({ node, body, req }) {
    try {
      const o = {
        hash: body.hash ? decodeId(body.hash) : undefined,
        metadata: body.metadata,
        package: body.package ?? undefined,
        version: body.version ?? undefined,
      };
      const blobId = ownBlobId(body.url, node, req);
      const id = await withApplicationLimit(node, () =>
        blobId ? node.apps.installFromBlob(blobId, new URL(body.url).toString(), o) : node.apps.installFromUrl(body.url, o),
      );
      return { data: { applicationId: encodeId(id) } };
    } catch (err) {
      throw installFailure(err);
    }
  },
});
