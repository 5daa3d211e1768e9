import type { Handler } from '../../handler.ts';
import type { Services } from '../../services.ts';
import type { publicRoutes } from '../../../wire/routes/public.ts';

/** GET /admin-api/openapi.json: the document of the routes this server mounts (built once in buildServer). */
export default (s: Pick<Services, 'openApi'>): Handler<typeof publicRoutes.openApi> => () => s.openApi();
