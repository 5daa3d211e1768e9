import { defineRoute } from '../../route.ts';
import { pathId } from '../params.ts';

/** Deleting an unknown context is `{"isDeleted":false}` with 200, as upstream. */
export default defineRoute({
  method: 'DELETE',
  url: '/admin-api/contexts/:context_id',
  access: 'protected',
  async handler({ node, params }) {
    const id = pathId(params.context_id, 'Invalid context id');
    return { data: { isDeleted: await node.contexts.delete(id) } };
  },
});
