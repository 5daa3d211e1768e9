import { z } from 'zod';
import { data, id } from './common.ts';

/** Request shapes of the membership routes (docs/network.md, membership), kept apart from admin.ts for ownership. */

/** POST /admin-api/contexts/invite */
export const inviteRequest = z.object({ contextId: id, inviterId: id, inviteeId: id });

/** POST /admin-api/contexts/join */
export const joinRequest = z.object({ invitationPayload: z.string().min(1).max(4096) });

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
/** DELETE /admin-api/contexts/:id/membership (ours) */
export const leaveResponse = data(z.object({ isDeleted: z.boolean() }));
/** POST /admin-api/contexts/:id/capabilities/{grant,revoke}: a bare `null`, as upstream. */
export const capabilitiesResponse = z.null();
