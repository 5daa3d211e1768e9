import { permission } from '../../../auth/index.ts';
import { defineRoute } from '../../route.ts';
import { createContextRequest, createContextResponse } from '../../../wire/admin.ts';
import { decodeId, encodeId } from '../../../util/ids.ts';
import { contextFailure } from './context-error.ts';
import { withContextLimit } from '../limits.ts';

/**
 * POST /admin-api/contexts — creates a context of an installed application and runs its `init`. Any
 * non-empty `protocol` is accepted: this node keeps membership itself instead of on a chain.
 */
export default defineRoute({
  method: 'POST',
  url: '/admin-api/contexts',
  access: 'protected',
    permission: () => permission('context', 'create'),
  response: createContextResponse,
  body: { schema: createContextRequest, errors: 'validated' },
  async handler({ node, body }) {
    try {
      const r = await withContextLimit(node, () =>
        node.execution.createContext(
          decodeId(body.applicationId),
          Uint8Array.from(body.initializationParams),
          body.contextSeed ? decodeId(body.contextSeed) : undefined,
        ),
      );
      return { data: { contextId: encodeId(r.contextId), memberPublicKey: encodeId(r.memberPublicKey) } };
    } catch (err) {
      throw contextFailure(err);
    }
  },
});
