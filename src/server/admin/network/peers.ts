import { defineRoute } from '../../route.ts';
import { peersResponse } from '../../../wire/admin.ts';

/** GET /admin-api/peers — `{"count":n}` without a data wrapper, as upstream. */
export default defineRoute({
  method: 'GET',
  url: '/admin-api/peers',
  access: 'protected',
  response: peersResponse,
  handler: ({ node }) => ({ count: node.peerCount() }),
});
