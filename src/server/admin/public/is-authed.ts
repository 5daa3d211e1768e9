import { defineRoute } from '../../route.ts';
import { healthResponse } from '../../../wire/admin.ts';

/** Answers 200 itself; behind an auth proxy the proxy's 401 tells a client that auth is required. */
export default defineRoute({
  method: 'GET',
  url: '/admin-api/is-authed',
  access: 'public',
  response: healthResponse,
  handler: () => ({ data: { status: 'alive' } }),
});
