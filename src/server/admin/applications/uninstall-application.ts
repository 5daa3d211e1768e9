import { permission } from '../../../auth/index.ts';
import { defineRoute } from '../../route.ts';
import { encodeId } from '../../../util/ids.ts';
import { pathId } from '../params.ts';
import { uninstallApplicationResponse } from '../../../wire/admin.ts';

/** Always answers with the id, even if it was not installed (upstream behaviour). */
export default defineRoute({
  method: 'DELETE',
  url: '/admin-api/applications/:application_id',
  access: 'protected',
    permission: ({ params }) => permission('application', 'uninstall', params.application_id!),
  response: uninstallApplicationResponse,
  async handler({ node, params }) {
    const id = pathId(params.application_id);
    await node.apps.uninstall(id);
    return { data: { applicationId: encodeId(id) } };
  },
});
