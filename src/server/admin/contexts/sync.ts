import type { Handler } from '../../handler.ts';
import type { Services } from '../../services.ts';
import type { contextRoutes } from '../../../wire/routes/contexts.ts';
import { decodeId, encodeId } from '../../../util/ids.ts';

type Route = typeof contextRoutes.syncContexts | typeof contextRoutes.syncContext;

/**
 * POST /admin-api/contexts/sync[/:context_id] — starts pulling from the connected peers now and answers
 * `{"data":null}` at once, as upstream (which queues the request). A malformed id syncs every context, as
 * upstream's optional path extractor does; an unknown one has no peers, so nothing happens.
 */
export default (s: Pick<Services, 'sync' | 'logger'>): Handler<Route> =>
  ({ params }) => {
    const raw = (params as { context_id?: string }).context_id;
    let ctx: Uint8Array | undefined;
    try {
      ctx = raw === undefined ? undefined : decodeId(raw);
    } catch {
      ctx = undefined;
    }
    s.sync.syncNow(ctx).catch((err: Error) => s.logger.warn({ err: err.message, context: ctx && encodeId(ctx) }, 'sync request failed'));
    return { data: null };
  };
