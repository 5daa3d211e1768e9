import { permission } from '../../../auth/index.ts';
import { defineRoute } from '../../route.ts';
import { Contexts } from '../../../node/contexts.ts';
import { jsonError } from '../../errors.ts';
import { pathId } from '../params.ts';
import { getContextResponse } from '../../../wire/admin.ts';

export default defineRoute({
  method: 'GET',
  url: '/admin-api/contexts/:context_id',
  access: 'protected',
    permission: ({ params }) => permission('context', 'list', params.context_id!),
  response: getContextResponse,
  async handler({ node, params }) {
    const id = pathId(params.context_id);
    const meta = await node.contexts.meta(id);
    if (!meta) throw jsonError(404, 'Context not found');
    return { data: Contexts.view(id, meta) };
  },
});
