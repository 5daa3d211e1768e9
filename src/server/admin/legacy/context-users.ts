import { defineRoute } from '../../route.ts';
import { encodeId } from '../../../util/ids.ts';
import { jsonError } from '../../errors.ts';
import { pathId } from '../params.ts';
import { contextUsersResponse } from '../../../wire/admin.ts';

/**
 * GET /admin-api/contexts/:id/users — the seed's route (removed upstream after merod-0.3.0, where it was a
 * stub returning []). Here it lists the context's real members; `joinedAt` is the context's creation time
 * for members this node created, in milliseconds.
 */
export default defineRoute({
  method: 'GET',
  url: '/admin-api/contexts/:context_id/users',
  access: 'protected',
  response: contextUsersResponse,
  async handler({ node, params }) {
    const id = pathId(params.context_id);
    const meta = await node.contexts.meta(id);
    if (!meta) throw jsonError(404, 'Context not found');
    const members = await node.contexts.identities(id);
    return { data: { contextUsers: members.map((m) => ({ userId: encodeId(m), joinedAt: meta.createdAt })) } };
  },
});
