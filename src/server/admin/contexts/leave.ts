import { defineRoute } from '../../route.ts';
import { leaveRequest } from '../../../wire/membership.ts';
import { decodeId } from '../../../util/ids.ts';
import { pathId } from '../params.ts';
import { contextFailure } from './context-error.ts';

/**
 * POST /admin-api/contexts/:context_id/leave (ours; upstream leaves through the contract) — signs a
 * "remove member" entry for the owned member(s), broadcasts it, then deletes the context locally.
 */
export default defineRoute({
  method: 'POST',
  url: '/admin-api/contexts/:context_id/leave',
  access: 'protected',
  body: { schema: leaveRequest, errors: 'validated' },
  async handler({ node, params, body }) {
    const id = pathId(params.context_id, 'Invalid context id');
    try {
      const left = await node.sync.leave(id, body?.memberPublicKey ? decodeId(body.memberPublicKey) : undefined);
      return { data: { isDeleted: left } };
    } catch (err) {
      throw contextFailure(err);
    }
  },
});
