import type { Handler } from '../../handler.ts';
import type { Services } from '../../services.ts';
import type { membershipRoutes } from '../../../wire/routes/contexts.ts';
import { decodeId, IdError } from '../../../util/ids.ts';
import { jsonError } from '../../errors.ts';
import { pathId } from '../params.ts';

function memberParam(raw: string): Uint8Array {
  try {
    return decodeId(raw);
  } catch (err) {
    throw jsonError(400, `Invalid member: ${err instanceof IdError ? err.message : 'invalid id'}`);
  }
}

/**
 * DELETE /admin-api/contexts/:context_id/membership[?member=<pk>] (ours; upstream leaves through the contract):
 * signs a "remove member" entry for the owned member (or every owned member), broadcasts it, then deletes the
 * context locally. `{"data":{"isDeleted":bool}}` like DELETE /admin-api/contexts/:id.
 */
export default (s: Pick<Services, 'sync'>): Handler<typeof membershipRoutes.leave> =>
  async ({ params, query }) => {
    const id = pathId(params.context_id, 'Invalid context id');
    const member = query.member !== undefined ? memberParam(query.member) : undefined;
    return { data: { isDeleted: await s.sync.leave(id, member) } };
  };
