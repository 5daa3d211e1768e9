import { permission } from '../../../auth/index.ts';
import { defineRoute } from '../../route.ts';
import { jsonError } from '../../errors.ts';
import { pathId } from '../params.ts';
import { storageResponse } from '../../../wire/admin.ts';

/** Real size of the context's state in bytes (keys + values); upstream's handler is a stub answering 0. */
export default defineRoute({
  method: 'GET',
  url: '/admin-api/contexts/:context_id/storage',
  access: 'protected',
    permission: ({ params }) => permission('context', 'list', params.context_id!),
  response: storageResponse,
  async handler({ node, params }) {
    const id = pathId(params.context_id, 'Invalid context id');
    const meta = await node.contexts.meta(id);
    if (!meta) throw jsonError(404, 'Context not found');
    return { data: { sizeInBytes: meta.sizeInBytes } };
  },
});
