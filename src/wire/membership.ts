import { z } from 'zod';
import { bytes, data, id } from './common.ts';

/** Request shapes of the membership routes (docs/network.md, membership), kept apart from admin.ts for ownership. */

/** POST /admin-api/contexts/invite */
export const inviteRequest = z.object({ contextId: id, inviterId: id, inviteeId: id });

/** POST /admin-api/contexts/join */
export const joinRequest = z.object({ invitationPayload: z.string().min(1).max(4096) });

/** 32 bytes as a JSON array of numbers (the ids inside upstream's context-config types). */
const bytes32 = bytes.length(32);

/**
 * Upstream's `SignedOpenInvitation` (context-config types.rs): snake_case, ids as byte arrays, the inviter's
 * ed25519 signature over sha256(borsh(invitation)) in hex. Here a block is one second (docs/network.md).
 */
export const signedOpenInvitation = z.object({
  invitation: z.object({
    inviter_identity: bytes32,
    context_id: bytes32,
    expiration_height: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    secret_salt: bytes32,
    protocol: z.string().max(64),
    network: z.string().max(256),
    contract_id: z.string().max(4096),
  }),
  inviter_signature: z.string().max(256),
});

/** POST /admin-api/contexts/invite_by_open_invitation; upstream's MAX_VALID_FOR_BLOCKS is one year of blocks. */
export const inviteByOpenInvitationRequest = z.object({
  contextId: id,
  inviterId: id,
  validForBlocks: z.number().int().min(0).max(31_536_000),
});

/** POST /admin-api/contexts/join_by_open_invitation (the new member must be in the identity pool). */
export const joinByOpenInvitationRequest = z.object({ invitation: signedOpenInvitation, newMemberPublicKey: id });

/** upstream Capability enum names. */
export const capability = z.enum(['ManageApplication', 'ManageMembers', 'Proxy']);

/** POST /admin-api/contexts/:id/capabilities/{grant,revoke} — no rename_all upstream: `signer_id`. */
export const capabilitiesRequest = z.object({
  capabilities: z.array(z.tuple([id, capability])).min(1).max(256),
  signer_id: id,
});

/** POST /admin-api/contexts/invite → the base58 invitation payload, or null for an unknown context. */
export const inviteResponse = data(z.string().nullable());
/** POST /admin-api/contexts/join */
export const joinResponse = data(z.object({ contextId: id, memberPublicKey: id }));
/** POST /admin-api/contexts/invite_by_open_invitation → the signed invitation, or null for an unknown context. */
export const inviteByOpenInvitationResponse = data(signedOpenInvitation.nullable());
/** POST /admin-api/contexts/join_by_open_invitation (upstream's `data` is an Option; here it is never null). */
export const joinByOpenInvitationResponse = data(z.object({ contextId: id, memberPublicKey: id }).nullable());
/** DELETE /admin-api/contexts/:id/membership (ours) */
export const leaveResponse = data(z.object({ isDeleted: z.boolean() }));
/** POST /admin-api/contexts/:id/capabilities/{grant,revoke}: a bare `null`, as upstream. */
export const capabilitiesResponse = z.null();

/**
 * GET /admin-api/contexts/:id/open-invitations (ours): the open invitations this node signed for the context,
 * newest first. Times are milliseconds since the epoch; `expiresAt` is the invitation's expiration height
 * (seconds here) in milliseconds; `joined` lists the newest joiners (at most 100), `joinedCount` counts them all.
 */
export const issuedInvitation = z.object({
  salt: id,
  inviterId: id,
  createdAt: z.number(),
  expiresAt: z.number(),
  revokedAt: z.number().nullable(),
  joinedCount: z.number().int(),
  joined: z.array(z.object({ memberPublicKey: id, at: z.number() })),
  invitation: signedOpenInvitation,
});
export const issuedInvitationsResponse = data(z.array(issuedInvitation));
/** DELETE /admin-api/contexts/:id/open-invitations/:salt (ours): later joins with it are refused. */
export const revokeOpenInvitationResponse = data(z.object({ revoked: z.literal(true) }));
