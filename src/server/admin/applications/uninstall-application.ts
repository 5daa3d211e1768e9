import type { Handler } from '../../handler.ts';
import type { Services } from '../../services.ts';
import type { applicationRoutes } from '../../../wire/routes/applications.ts';
import { encodeId } from '../../../util/ids.ts';
import { pathId } from '../params.ts';

/** Always answers with the id, even if it was not installed (upstream behaviour). */
export default (s: Pick<Services, 'apps'>): Handler<typeof applicationRoutes.uninstallApplication> =>
  async ({ params }) => {
    const id = pathId(params.application_id);
    await s.apps.uninstall(id);
    return { data: { applicationId: encodeId(id) } };
  };
