import type { Handler } from '../../handler.ts';
import type { Services } from '../../services.ts';
import type { packageRoutes } from '../../../wire/routes/packages.ts';
import { encodeId } from '../../../util/ids.ts';

/** GET /admin-api/packages — `{"packages":[…]}`. */
export const listPackages = (s: Pick<Services, 'apps'>): Handler<typeof packageRoutes.listPackages> =>
  async () => ({ packages: await s.apps.packages() });

/** GET /admin-api/packages/:package/versions — `{"versions":[…]}`. */
export const listVersions = (s: Pick<Services, 'apps'>): Handler<typeof packageRoutes.listVersions> =>
  async ({ params }) => ({ versions: await s.apps.versions(params.package) });

/** GET /admin-api/packages/:package/latest — `{"applicationId","version"}`, both null for an unknown package. */
export const latestVersion = (s: Pick<Services, 'apps'>): Handler<typeof packageRoutes.latestVersion> =>
  async ({ params }) => {
    const latest = await s.apps.latest(params.package);
    return { applicationId: latest ? encodeId(latest.id) : null, version: latest?.version ?? null };
  };
