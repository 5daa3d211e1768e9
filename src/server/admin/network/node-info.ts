import { defineRoute } from '../../route.ts';
import pkg from '../../../../package.json' with { type: 'json' };
import { nodeInfoResponse } from '../../../wire/admin.ts';

/** GET /admin-api/node-info — ours: what the dashboard's identity page shows. */
export default defineRoute({
  method: 'GET',
  url: '/admin-api/node-info',
  access: 'protected',
  response: nodeInfoResponse,
  handler: ({ node }) => ({
    data: {
      peerId: node.identity.peerId,
      listen: node.urls,
      authMode: node.config.server.auth_mode,
      version: pkg.version,
    },
  }),
});
