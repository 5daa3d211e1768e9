import { permission } from '../../../auth/index.ts';
import { defineRoute } from '../../route.ts';
import { Contexts } from '../../../node/contexts.ts';
import { encodeId, sameId } from '../../../util/ids.ts';
import { pathId } from '../params.ts';
import { contextsWithExecutorsResponse, listContextsResponse } from '../../../wire/admin.ts';

export const contextsForApplication = defineRoute({
  method: 'GET',
  url: '/admin-api/contexts/for-application/:application_id',
  access: 'protected',
    permission: ({ params }) => permission('context', 'list', params.application_id!),
  response: listContextsResponse,
  async handler({ node, params }) {
    const app = pathId(params.application_id);
    const all = await node.contexts.list();
    return { data: { contexts: all.filter((c) => sameId(c.meta.applicationId, app)).map((c) => Contexts.view(c.id, c.meta)) } };
  },
});

/** Unwrapped and snake_case, as upstream. */
export const contextsWithExecutors = defineRoute({
  method: 'GET',
  url: '/admin-api/contexts/with-executors/for-application/:application_id',
  access: 'protected',
    permission: ({ params }) => permission('context', 'list', params.application_id!),
  response: contextsWithExecutorsResponse,
  async handler({ node, params }) {
    const app = pathId(params.application_id);
    const all = (await node.contexts.list()).filter((c) => sameId(c.meta.applicationId, app));
    const contexts = [];
    for (const c of all) {
      contexts.push({
        id: encodeId(c.id),
        application_id: encodeId(c.meta.applicationId),
        root_hash: encodeId(c.meta.rootHash),
        executors: (await node.contexts.identities(c.id, true)).map(encodeId),
      });
    }
    return { contexts };
  },
});
