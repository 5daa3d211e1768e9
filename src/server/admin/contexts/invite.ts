import type { Handler } from '../../handler.ts';
import type { Services } from '../../services.ts';
import type { membershipRoutes } from '../../../wire/routes/contexts.ts';
import { decodeId } from '../../../util/ids.ts';

/**
 * POST /admin-api/contexts/invite — the inviter (an owned member with ManageMembers) signs an "add member"
 * entry into the context's membership log, which is broadcast to the other members. Returns the base58
 * invitation payload (upstream's borsh layout; see docs/network.md), or `{"data":null}` for an unknown context.
 */
export default (s: Pick<Services, 'sync'>): Handler<typeof membershipRoutes.invite> =>
  async ({ body }) => ({
    data: await s.sync.invite(decodeId(body.contextId), decodeId(body.inviterId), decodeId(body.inviteeId)),
  });
