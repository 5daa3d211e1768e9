import type { Handler } from '../../handler.ts';
import type { Services } from '../../services.ts';
import type { contextRoutes } from '../../../wire/routes/contexts.ts';
import type { SyncStatus } from '../../../node/sync/manager.ts';
import type { SyncStatusView } from '../../../wire/sync-status.ts';
import { jsonError } from '../../errors.ts';
import { pathId } from '../params.ts';

/** The node's status of a context's sync in the wire's shape (src/wire/sync-status.ts). */
export function syncStatusView(s: SyncStatus): SyncStatusView {
  return {
    contextId: s.contextId,
    heads: s.heads,
    pending: s.pending,
    members: s.members,
    reachablePeers: s.peers.reachableMembers,
    knownPeers: s.peers.knownPeers,
    lastSync: s.peers.lastSync,
    lastApplied: s.lastApplied,
    isolatedSince: s.peers.isolatedSince,
    peers: s.peers.peers,
    failed: s.failed.map((f) => ({ id: f.id, author: f.author, hlc: f.hlc, reason: f.reason, since: f.firstFailedAt, lastTriedAt: f.lastTriedAt, attempts: f.attempts })),
  };
}

/** GET /admin-api/contexts/:context_id/sync-status (ours) — 404 `Context not found` as the other context routes. */
export default (s: Pick<Services, 'sync'>): Handler<typeof contextRoutes.contextSyncStatus> =>
  async ({ params }) => {
    const status = await s.sync.status(pathId(params.context_id));
    if (!status) throw jsonError(404, 'Context not found');
    return { data: syncStatusView(status) };
  };
