import type { Handler } from '../../handler.ts';
import type { Services } from '../../services.ts';
import type { membershipRoutes } from '../../../wire/routes/contexts.ts';
import { decodeId, encodeId } from '../../../util/ids.ts';
import { fromJson, toJson } from '../../../node/sync/open-invitation.ts';

/**
 * POST /admin-api/contexts/invite_by_open_invitation — `inviterId` (owned here, with ManageMembers) signs an open
 * invitation valid for `validForBlocks` seconds; `{"data":null}` for an unknown context, as upstream.
 */
export const inviteByOpenInvitation = (s: Pick<Services, 'sync'>): Handler<typeof membershipRoutes.inviteByOpenInvitation> =>
  async ({ body }) => {
    const signed = await s.sync.members.inviteOpen(decodeId(body.contextId), decodeId(body.inviterId), body.validForBlocks);
    return { data: signed && toJson(signed) };
  };

/**
 * POST /admin-api/contexts/join_by_open_invitation — checks the invitation (signature, expiry), asks the inviter's
 * node to add `newMemberPublicKey` (an identity of this node's pool) and catches up on the context.
 */
export const joinByOpenInvitation = (s: Pick<Services, 'sync'>): Handler<typeof membershipRoutes.joinByOpenInvitation> =>
  async ({ body }) => {
    const r = await s.sync.members.joinOpen(fromJson(body.invitation), decodeId(body.newMemberPublicKey));
    return { data: { contextId: encodeId(r.contextId), memberPublicKey: encodeId(r.memberPublicKey) } };
  };
