import { permission } from '../../../auth/index.ts';
import { defineRoute } from '../../route.ts';
import { pathId } from '../params.ts';
import { deleteContextResponse } from '../../../wire/admin.ts';

/** Deleting an unknown context is `{"isDeleted":false}` with 200, as upstream. */
export default defineRoute({
  method: 'DELETE',
  url: '/admin-api/contexts/:context_id',
  access: 'protected',
    permission: ({ params }) => permission('context', 'delete', params.context_id!),
  response: deleteContextResponse,
  async handler({ node, params }) {
    const id = pathId(params.context_id, 'Invalid context id');
    return { data: { isDeleted: await node.execution.deleteContext(id) } };
  },
});
