import { defineRoute } from '../../route.ts';
import { encodeId } from '../../../util/ids.ts';

/** POST /admin-api/identity/context — a new keypair in the identity pool (body ignored). */
export default defineRoute({
  method: 'POST',
  url: '/admin-api/identity/context',
  access: 'protected',
  async handler({ node }) {
    return { data: { publicKey: encodeId(await node.contexts.generatePoolIdentity()) } };
  },
});
