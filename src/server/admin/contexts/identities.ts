import { permission } from '../../../auth/index.ts';
import { defineRoute } from '../../route.ts';
import { encodeId } from '../../../util/ids.ts';
import { jsonError } from '../../errors.ts';
import { pathId } from '../params.ts';
import type { Node } from '../../../node/node.ts';
import { identitiesResponse } from '../../../wire/admin.ts';

async function identities(node: Node, raw: string | undefined, owned: boolean) {
  const id = pathId(raw);
  if (!(await node.contexts.exists(id))) throw jsonError(404, 'Context not found');
  const keys = await node.contexts.identities(id, owned);
  return { data: { identities: keys.map(encodeId) } };
}

/** GET /admin-api/contexts/:id/identities — every member of the context. */
export const allIdentities = defineRoute({
  method: 'GET',
  url: '/admin-api/contexts/:context_id/identities',
  access: 'protected',
    permission: ({ params }) => permission('context', 'list', params.context_id!),
  response: identitiesResponse,
  handler: ({ node, params }) => identities(node, params.context_id, false),
});

/** GET /admin-api/contexts/:id/identities-owned — members whose private key this node holds. */
export const ownedIdentities = defineRoute({
  method: 'GET',
  url: '/admin-api/contexts/:context_id/identities-owned',
  access: 'protected',
    permission: ({ params }) => permission('context', 'list', params.context_id!),
  response: identitiesResponse,
  handler: ({ node, params }) => identities(node, params.context_id, true),
});
