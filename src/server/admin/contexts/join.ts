import type { Handler } from '../../handler.ts';
import type { Services } from '../../services.ts';
import type { membershipRoutes } from '../../../wire/routes/contexts.ts';
import { encodeId } from '../../../util/ids.ts';

/**
 * POST /admin-api/contexts/join — joins with an invitation payload: the invitee identity must be in this
 * node's identity pool (POST /admin-api/identity/context). The node dials the inviter, fetches and verifies the
 * context's DAG (genesis signed by the context key, membership entries, state deltas), installs the
 * application from the peer if needed, and answers once caught up (or after a bounded wait).
 */
export default (s: Pick<Services, 'sync'>): Handler<typeof membershipRoutes.join> =>
  async ({ body }) => {
    const r = await s.sync.join(body.invitationPayload);
    return { data: { contextId: encodeId(r.contextId), memberPublicKey: encodeId(r.memberPublicKey) } };
  };
