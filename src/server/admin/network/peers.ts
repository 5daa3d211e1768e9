import type { Handler } from '../../handler.ts';
import type { Services } from '../../services.ts';
import type { networkRoutes } from '../../../wire/routes/public.ts';

/** GET /admin-api/peers — `{"count":n}` without a data wrapper, as upstream. */
export default (s: Pick<Services, 'peerCount'>): Handler<typeof networkRoutes.peers> => () => ({ count: s.peerCount() });
