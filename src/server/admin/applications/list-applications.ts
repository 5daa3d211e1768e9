import { permission } from '../../../auth/index.ts';
import { defineRoute } from '../../route.ts';
import { Applications } from '../../../node/applications.ts';
import { listApplicationsResponse } from '../../../wire/admin.ts';

export default defineRoute({
  method: 'GET',
  url: '/admin-api/applications',
  access: 'protected',
    permission: () => permission('application', 'list'),
  response: listApplicationsResponse,
  async handler({ node }) {
    const apps = await node.apps.list();
    return { data: { apps: apps.map((a) => Applications.view(a.id, a.meta)) } };
  },
});
