import type { Handler } from '../../handler.ts';
import type { Services } from '../../services.ts';
import type { networkRoutes } from '../../../wire/routes/public.ts';
import pkg from '../../../../package.json' with { type: 'json' };

/** GET /admin-api/node-info — ours: what the dashboard's identity page shows. */
export default (s: Pick<Services, 'peerId' | 'urls' | 'config'>): Handler<typeof networkRoutes.nodeInfo> => () => ({
  data: { peerId: s.peerId, listen: s.urls(), authMode: s.config.server.auth_mode, version: pkg.version },
});
