import { defineRoute } from '../../route.ts';
import { inviteRequest, inviteResponse } from '../../../wire/membership.ts';
import { decodeId } from '../../../util/ids.ts';
import { contextFailure } from './context-error.ts';

/**
 * POST /admin-api/contexts/invite — the inviter (an owned member with ManageMembers) signs an "add member"
 * entry into the context's membership log, which is broadcast to the other members. Returns the base58
 * invitation payload (upstream's borsh layout; see docs/network.md), or `{"data":null}` for an unknown context.
 */
export default defineRoute({
  method: 'POST',
  url: '/admin-api/contexts/invite',
  access: 'protected',
  response: inviteResponse,
  body: { schema: inviteRequest, errors: 'validated' },
  async handler({ node, body }) {
    try {
      const payload = await node.sync.invite(decodeId(body.contextId), decodeId(body.inviterId), decodeId(body.inviteeId));
      return { data: payload };
    } catch (err) {
      throw contextFailure(err);
    }
  },
});
