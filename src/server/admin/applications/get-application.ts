import { permission } from '../../../auth/index.ts';
import { defineRoute } from '../../route.ts';
import { Applications } from '../../../node/applications.ts';
import { pathId } from '../params.ts';
import { getApplicationResponse } from '../../../wire/admin.ts';

/** A missing application is `{"application":null}` with 200, as upstream. */
export default defineRoute({
  method: 'GET',
  url: '/admin-api/applications/:application_id',
  access: 'protected',
    permission: ({ params }) => permission('application', 'list', params.application_id!),
  response: getApplicationResponse,
  async handler({ node, params }) {
    const id = pathId(params.application_id);
    const meta = await node.apps.get(id);
    return { data: { application: meta ? Applications.view(id, meta) : null } };
  },
});
