import type { Handler } from '../../handler.ts';
import type { Services } from '../../services.ts';
import type { membershipRoutes } from '../../../wire/routes/contexts.ts';
import { decodeId, encodeId } from '../../../util/ids.ts';
import { fromJson, toJson } from '../../../node/sync/open-invitation.ts';
import { jsonError } from '../../errors.ts';
import { pathId } from '../params.ts';

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

async function knownContext(s: Pick<Services, 'contexts'>, param: string | undefined): Promise<Uint8Array> {
  const ctx = pathId(param);
  if (!(await s.contexts.exists(ctx))) throw jsonError(404, 'Context not found');
  return ctx;
}

/** GET /admin-api/contexts/:context_id/open-invitations (ours) — what this node signed, newest first. */
export const listOpenInvitations = (s: Pick<Services, 'contexts' | 'sync'>): Handler<typeof membershipRoutes.listOpenInvitations> =>
  async ({ params }) => {
    const list = await s.sync.members.openInvitations(await knownContext(s, params.context_id));
    return {
      data: list.map((r) => ({
        salt: encodeId(r.invitation.invitation.salt),
        inviterId: encodeId(r.invitation.invitation.inviter),
        createdAt: r.createdAt,
        expiresAt: Number(r.invitation.invitation.expirationHeight) * 1000,
        revokedAt: r.revokedAt,
        joinedCount: r.joinedCount,
        joined: r.joined.map((j) => ({ memberPublicKey: j.member, at: j.at })),
        invitation: r.signed,
      })),
    };
  };

/** DELETE /admin-api/contexts/:context_id/open-invitations/:salt (ours) — 404 for one this node did not sign. */
export const revokeOpenInvitation = (s: Pick<Services, 'contexts' | 'sync'>): Handler<typeof membershipRoutes.revokeOpenInvitation> =>
  async ({ params }) => {
    const ctx = await knownContext(s, params.context_id);
    if (!(await s.sync.members.revokeOpenInvitation(ctx, pathId(params.salt)))) throw jsonError(404, 'Open invitation not found');
    return { data: { revoked: true as const } };
  };
