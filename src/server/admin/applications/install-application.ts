import { defineRoute } from '../../route.ts';
import { installApplicationRequest } from '../../../wire/admin.ts';
import { decodeId, encodeId } from '../../../util/ids.ts';
import { installFailure } from './install-error.ts';
import { withApplicationLimit } from '../limits.ts';

/** POST /admin-api/install-application — download a WASM module from a URL (or file:// URL) and register it. */
export default defineRoute({
  method: 'POST',
  url: '/admin-api/install-application',
  access: 'protected',
  body: { schema: installApplicationRequest, errors: 'validated' },
  async handler({ node, body }) {
    try {
      const id = await withApplicationLimit(node, () =>
        node.apps.installFromUrl(body.url, {
          hash: body.hash ? decodeId(body.hash) : undefined,
          metadata: body.metadata,
          package: body.package ?? undefined,
          version: body.version ?? undefined,
        }),
      );
      return { data: { applicationId: encodeId(id) } };
    } catch (err) {
      throw installFailure(err);
    }
  },
});
