import type { Handler } from '../../handler.ts';
import type { Services } from '../../services.ts';
import type { applicationRoutes } from '../../../wire/routes/applications.ts';
import { encodeId } from '../../../util/ids.ts';

/** POST /admin-api/install-dev-application — register a module from the node's own filesystem. */
export default (s: Pick<Services, 'apps' | 'limits'>): Handler<typeof applicationRoutes.installDevApplication> =>
  async ({ body }) => {
    const id = await s.limits.applications.run(() =>
      s.apps.installFromPath(body.path, { metadata: body.metadata, package: body.package ?? undefined, version: body.version ?? undefined }),
    );
    return { data: { applicationId: encodeId(id) } };
  };
