import { permission } from '../../../auth/index.ts';
import { defineRoute } from '../../route.ts';
import { decodeId, IdError } from '../../../util/ids.ts';
import { jsonError } from '../../errors.ts';
import { pathId } from '../params.ts';
import { contextFailure } from './context-error.ts';
import { leaveResponse } from '../../../wire/membership.ts';

/**
 * DELETE /admin-api/contexts/:context_id/membership[?member=<pk>] (ours; upstream leaves through the contract):
 * signs a "remove member" entry for the owned member (or every owned member), broadcasts it, then deletes the
 * context locally. `{"data":{"isDeleted":bool}}` like DELETE /admin-api/contexts/:id.
 */
export default defineRoute({
  method: 'DELETE',
  url: '/admin-api/contexts/:context_id/membership',
  access: 'protected',
    permission: ({ params }) => permission('context', 'leave', params.context_id!),
  response: leaveResponse,
  async handler({ node, params, query }) {
    const id = pathId(params.context_id, 'Invalid context id');
    let member: Uint8Array | undefined;
    if (query.member !== undefined) {
      try {
        member = decodeId(query.member);
      } catch (err) {
        throw jsonError(400, `Invalid member: ${err instanceof IdError ? err.message : 'invalid id'}`);
      }
    }
    try {
      return { data: { isDeleted: await node.sync.leave(id, member) } };
    } catch (err) {
      throw contextFailure(err);
    }
  },
});
