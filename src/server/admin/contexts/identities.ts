import type { Handler } from '../../handler.ts';
import type { Services } from '../../services.ts';
import type { contextRoutes } from '../../../wire/routes/contexts.ts';
import { encodeId } from '../../../util/ids.ts';
import { jsonError } from '../../errors.ts';
import { pathId } from '../params.ts';

type Route = typeof contextRoutes.identities | typeof contextRoutes.identitiesOwned;

/** GET /admin-api/contexts/:id/identities (every member) and …/identities-owned (members whose key this node holds). */
export default (s: Pick<Services, 'contexts'>, owned: boolean): Handler<Route> =>
  async ({ params }) => {
    const id = pathId(params.context_id);
    if (!(await s.contexts.exists(id))) throw jsonError(404, 'Context not found');
    const keys = await s.contexts.identities(id, owned);
    return { data: { identities: keys.map(encodeId) } };
  };
