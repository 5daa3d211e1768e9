import type { Handler } from '../../handler.ts';
import type { Services } from '../../services.ts';
import type { contextRoutes } from '../../../wire/routes/contexts.ts';
import { Contexts } from '../../../node/contexts.ts';
import { encodeId, sameId } from '../../../util/ids.ts';
import { pathId } from '../params.ts';

async function contextsOf(s: Pick<Services, 'contexts'>, application: string) {
  const app = pathId(application);
  return (await s.contexts.list()).filter((c) => sameId(c.meta.applicationId, app));
}

/** GET /admin-api/contexts/for-application/:application_id */
export const contextsForApplication =
  (s: Pick<Services, 'contexts'>): Handler<typeof contextRoutes.contextsForApplication> =>
  async ({ params }) => ({
    data: { contexts: (await contextsOf(s, params.application_id)).map((c) => Contexts.view(c.id, c.meta)) },
  });

/** GET /admin-api/contexts/with-executors/for-application/:application_id — unwrapped and snake_case, as upstream. */
export const contextsWithExecutors =
  (s: Pick<Services, 'contexts'>): Handler<typeof contextRoutes.contextsWithExecutors> =>
  async ({ params }) => {
    const contexts = [];
    for (const c of await contextsOf(s, params.application_id)) {
      contexts.push({
        id: encodeId(c.id),
        application_id: encodeId(c.meta.applicationId),
        root_hash: encodeId(c.meta.rootHash),
        executors: (await s.contexts.identities(c.id, true)).map(encodeId),
      });
    }
    return { contexts };
  };
