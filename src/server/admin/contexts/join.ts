import { defineRoute } from '../../route.ts';
import { joinRequest, joinResponse } from '../../../wire/membership.ts';
import { encodeId } from '../../../util/ids.ts';
import { contextFailure } from './context-error.ts';

/**
 * POST /admin-api/contexts/join — joins with an invitation payload: the invitee identity must be in this
 * node's identity pool (POST /admin-api/identity/context). The node dials the inviter, fetches and verifies the
 * context's DAG (genesis signed by the context key, membership entries, state deltas), installs the
 * application from the peer if needed, and answers once caught up (or after a bounded wait).
 */
export default defineRoute({
  method: 'POST',
  url: '/admin-api/contexts/join',
  access: 'protected',
  response: joinResponse,
  body: { schema: joinRequest, errors: 'validated' },
  async handler({ node, body }) {
    try {
      const r = await node.sync.join(body.invitationPayload);
      return { data: { contextId: encodeId(r.contextId), memberPublicKey: encodeId(r.memberPublicKey) } };
    } catch (err) {
      throw contextFailure(err);
    }
  },
});
