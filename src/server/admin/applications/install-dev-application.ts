import { defineRoute } from '../../route.ts';
import { installApplicationResponse, installDevApplicationRequest } from '../../../wire/admin.ts';
import { encodeId } from '../../../util/ids.ts';
import { installFailure } from './install-error.ts';
import { withApplicationLimit } from '../limits.ts';

/** POST /admin-api/install-dev-application — register a module from the node's own filesystem. */
export default defineRoute({
  method: 'POST',
  url: '/admin-api/install-dev-application',
  access: 'protected',
  response: installApplicationResponse,
  body: { schema: installDevApplicationRequest, errors: 'validated' },
  async handler({ node, body }) {
    try {
      const id = await withApplicationLimit(node, () =>
        node.apps.installFromPath(body.path, {
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
