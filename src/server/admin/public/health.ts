import { defineRoute } from '../../route.ts';
import { healthResponse } from '../../../wire/admin.ts';

export default defineRoute({
  method: 'GET',
  url: '/admin-api/health',
  access: 'public',
  response: healthResponse,
  handler: () => ({ data: { status: 'alive' } }),
});
