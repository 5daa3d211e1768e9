import { defineRoute } from '../../route.ts';

export default defineRoute({
  method: 'GET',
  url: '/admin-api/health',
  access: 'public',
  handler: () => ({ data: { status: 'alive' } }),
});
