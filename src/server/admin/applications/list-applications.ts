import type { Handler } from '../../handler.ts';
import type { Services } from '../../services.ts';
import type { applicationRoutes } from '../../../wire/routes/applications.ts';
import { Applications } from '../../../node/applications.ts';

export default (s: Pick<Services, 'apps'>): Handler<typeof applicationRoutes.listApplications> =>
  async () => {
    const apps = await s.apps.list();
    return { data: { apps: apps.map((a) => Applications.view(a.id, a.meta)) } };
  };
