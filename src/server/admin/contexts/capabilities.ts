import { permission } from '../../../auth/index.ts';
import { defineRoute, type RouteDef } from '../../route.ts';
import { capabilitiesRequest, capabilitiesResponse } from '../../../wire/membership.ts';
import { decodeId } from '../../../util/ids.ts';
import { Capability } from '../../../node/sync/codec.ts';
import { pathId } from '../params.ts';
import { contextFailure } from './context-error.ts';

/**
 * POST /admin-api/contexts/:context_id/capabilities/{grant,revoke} (server-api §5.6): the signer (an owned
 * member with ManageMembers) signs one membership entry per (member, capability). The response is `null`.
 */
function route(kind: 'grant' | 'revoke'): RouteDef {
  return defineRoute({
    method: 'POST',
    url: `/admin-api/contexts/:context_id/capabilities/${kind}`,
    access: 'protected',
    permission: ({ params }) => permission('context', `capabilities:${kind}`, params.context_id!),
    response: capabilitiesResponse,
    body: { schema: capabilitiesRequest, errors: 'validated' },
    async handler({ node, params, body }) {
      const id = pathId(params.context_id);
      try {
        const grants = body.capabilities.map(([pk, cap]) => [decodeId(pk), Capability[cap]] as [Uint8Array, number]);
        await node.sync.setCapability(id, decodeId(body.signer_id), grants, kind === 'grant');
        return null;
      } catch (err) {
        throw contextFailure(err);
      }
    },
  }) as RouteDef;
}

export const grantCapabilities = route('grant');
export const revokeCapabilities = route('revoke');
