import type { Handler } from '../../handler.ts';
import type { Services } from '../../services.ts';
import type { legacyRoutes } from '../../../wire/routes/contexts.ts';
import { encodeId } from '../../../util/ids.ts';
import { jsonError } from '../../errors.ts';
import { pathId } from '../params.ts';

/**
 * GET /admin-api/contexts/:id/users — the seed's route (removed upstream after merod-0.3.0, where it was a
 * stub returning []). Here it lists the context's real members; `joinedAt` is the context's creation time
 * for members this node created, in milliseconds.
 */
export default (s: Pick<Services, 'contexts'>): Handler<typeof legacyRoutes.contextUsers> =>
  async ({ params }) => {
    const id = pathId(params.context_id);
    const meta = await s.contexts.meta(id);
    if (!meta) throw jsonError(404, 'Context not found');
    const members = await s.contexts.identities(id);
    return { data: { contextUsers: members.map((m) => ({ userId: encodeId(m), joinedAt: meta.createdAt })) } };
  };
