import { defineRoute } from '../../route.ts';
import { encodeId } from '../../../util/ids.ts';
import { generateIdentityResponse } from '../../../wire/admin.ts';

/** POST /admin-api/identity/context — a new keypair in the identity pool (body ignored). */
export default defineRoute({
  method: 'POST',
  url: '/admin-api/identity/context',
  access: 'protected',
  response: generateIdentityResponse,
  async handler({ node }) {
    return { data: { publicKey: encodeId(await node.contexts.generatePoolIdentity()) } };
  },
});
