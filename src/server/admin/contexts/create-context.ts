import type { Handler } from '../../handler.ts';
import type { Services } from '../../services.ts';
import type { contextRoutes } from '../../../wire/routes/contexts.ts';
import { decodeId, encodeId } from '../../../util/ids.ts';

/**
 * POST /admin-api/contexts — creates a context of an installed application and runs its `init`. Any
 * non-empty `protocol` is accepted: this node keeps membership itself instead of on a chain.
 */
export default (s: Pick<Services, 'execution' | 'limits'>): Handler<typeof contextRoutes.createContext> =>
  async ({ body }) => {
    const r = await s.limits.contexts.run(() =>
      s.execution.createContext(
        decodeId(body.applicationId),
        Uint8Array.from(body.initializationParams),
        body.contextSeed ? decodeId(body.contextSeed) : undefined,
      ),
    );
    return { data: { contextId: encodeId(r.contextId), memberPublicKey: encodeId(r.memberPublicKey) } };
  };
