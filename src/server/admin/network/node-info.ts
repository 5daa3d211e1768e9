import { defineRoute } from '../../route.ts';
import pkg from '../../../../package.json' with { type: 'json' };

/** GET /admin-api/node-info — ours: what the dashboard's identity page shows. */
export default defineRoute({
  method: 'GET',
  url: '/admin-api/node-info',
  access: 'protected',
  handler: ({ node }) => ({
    data: {
      peerId: node.identity.peerId,
      listen: node.urls,
      authMode: node.config.server.auth_mode,
      version: pkg.version,
    },
  }),
});
