import type { Handler } from '../../handler.ts';
import type { Services } from '../../services.ts';
import type { membershipRoutes } from '../../../wire/routes/contexts.ts';
import { decodeId } from '../../../util/ids.ts';
import { Capability } from '../../../node/sync/codec.ts';
import { pathId } from '../params.ts';

type Route = typeof membershipRoutes.grantCapabilities | typeof membershipRoutes.revokeCapabilities;

/**
 * POST /admin-api/contexts/:context_id/capabilities/{grant,revoke}: the signer (an owned member with
 * ManageMembers) signs one membership entry per (member, capability). The response is `null`.
 */
export default (s: Pick<Services, 'sync'>, kind: 'grant' | 'revoke'): Handler<Route> =>
  async ({ params, body }) => {
    const id = pathId(params.context_id);
    const grants = body.capabilities.map(([pk, cap]) => [decodeId(pk), Capability[cap]] as [Uint8Array, number]);
    await s.sync.setCapability(id, decodeId(body.signer_id), grants, kind === 'grant');
    return null;
  };
