import { z } from 'zod';
import { id } from './common.ts';

/** Request shapes of the membership routes (server-api §5.4, §5.6), kept apart from admin.ts for ownership. */

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
