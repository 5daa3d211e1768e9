import { z } from 'zod';
import { data, id } from './common.ts';

/**
 * GET /admin-api/contexts/:context_id/sync-status (ours: upstream has no such route). Ids are base58, times
 * are milliseconds since the Unix epoch; docs/network.md §5 says what each figure means.
 */
const time = z.number().int().nonnegative();

/** A peer known for the context or reachable on its topic. */
export const syncPeer = z.object({
  peerId: z.string(),
  reachable: z.boolean(),
  /** The last successful heads exchange with this peer since the node started. */
  lastSync: time.nullable(),
});

/** An entry applied without its state changes because its merge failed (retried when the cause may have gone). */
export const syncFailedEntry = z.object({
  id,
  author: id,
  /** The entry's hybrid logical clock, decimal (a u64). */
  hlc: z.string().regex(/^\d+$/),
  reason: z.string(),
  /** When its merge first failed. */
  since: time,
  lastTriedAt: time,
  attempts: z.number().int().positive(),
});

export const syncStatus = z.object({
  contextId: id,
  heads: z.array(id),
  /** Received entries waiting for their parents. */
  pending: z.number().int().nonnegative(),
  /** Members of the context, and how many of them are identities of this node. */
  members: z.object({ total: z.number().int().nonnegative(), owned: z.number().int().nonnegative() }),
  /** Connected peers on the context's topic (nodes of other members), and peers remembered for it. */
  reachablePeers: z.number().int().nonnegative(),
  knownPeers: z.number().int().nonnegative(),
  /** The last successful heads exchange with any peer of the context since start. */
  lastSync: time.nullable(),
  /** The last entry applied from a peer since start. */
  lastApplied: z.object({ id, at: time }).nullable(),
  /** Since when the context has had other members but no reachable peer; null when it is not isolated. */
  isolatedSince: time.nullable(),
  peers: z.array(syncPeer),
  failed: z.array(syncFailedEntry),
});
export type SyncStatusView = z.infer<typeof syncStatus>;

export const syncStatusResponse = data(syncStatus);
