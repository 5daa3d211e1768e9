import { defineRoute } from '../../route.ts';
import { Contexts } from '../../../node/contexts.ts';
import { listContextsResponse } from '../../../wire/admin.ts';

export default defineRoute({
  method: 'GET',
  url: '/admin-api/contexts',
  access: 'protected',
  response: listContextsResponse,
  async handler({ node }) {
    const all = await node.contexts.list();
    return { data: { contexts: all.map((c) => Contexts.view(c.id, c.meta)) } };
  },
});
