import type { Handler } from '../../handler.ts';
import type { Services } from '../../services.ts';
import type { applicationRoutes } from '../../../wire/routes/applications.ts';
import { Applications } from '../../../node/applications.ts';
import { pathId } from '../params.ts';

/** A missing application is `{"application":null}` with 200, as upstream. */
export default (s: Pick<Services, 'apps'>): Handler<typeof applicationRoutes.getApplication> =>
  async ({ params }) => {
    const id = pathId(params.application_id);
    const meta = await s.apps.get(id);
    return { data: { application: meta ? Applications.view(id, meta) : null } };
  };
