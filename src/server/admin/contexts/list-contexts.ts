import { permission } from '../../../auth/index.ts';
import { defineRoute } from '../../route.ts';
import { Contexts } from '../../../node/contexts.ts';
import { listContextsResponse } from '../../../wire/admin.ts';

export default defineRoute({
  method: 'GET',
  url: '/admin-api/contexts',
  access: 'protected',
    permission: () => permission('context', 'list'),
  response: listContextsResponse,
  async handler({ node }) {
    const all = await node.contexts.list();
    return { data: { contexts: all.map((c) => Contexts.view(c.id, c.meta)) } };
  },
});
