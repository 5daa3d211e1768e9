import { defineRoute } from '../../route.ts';

/** GET /admin-api/peers — `{"count":n}` without a data wrapper, as upstream. */
export default defineRoute({
  method: 'GET',
  url: '/admin-api/peers',
  access: 'protected',
  handler: ({ node }) => ({ count: node.peerCount() }),
});
