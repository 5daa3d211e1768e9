/**
 * The node's side of the runtime's read-ahead (src/runtime/read-cache.ts): a guest's storage read that missed
 * the worker's cache is answered with the key's value and the following entries of the context's committed
 * state, in key order, bounded in count and bytes. The scan is tagged with the state version it read, and only
 * when no commit of the context was under way or happened while it ran; otherwise the worker caches nothing of
 * it, so a scan never passes for an older version than it read.
 */
import type { Store } from '../store/store.ts';
import { idKey } from '../util/ids.ts';
import { MAX_AHEAD, MAX_AHEAD_BYTES, packEntries, type ReadAhead } from '../runtime/index.ts';
import { contextKey } from './contexts.ts';
import type { StateVersions } from './optimistic.ts';

export async function readAhead(store: Store, versions: StateVersions, contextId: Uint8Array, key: Uint8Array, limit: number): Promise<ReadAhead> {
  const ctx = idKey(contextId);
  const before = versions.stable(ctx);
  const want = Math.max(1, Math.min(MAX_AHEAD, Math.floor(limit) || 1));
  // One more than wanted: whether another key follows tells whether the scan reached the end of the state.
  const got = await store.scan('state', { prefix: contextId, gte: contextKey(contextId, key), limit: want + 1, maxBytes: MAX_AHEAD_BYTES });
  const toEnd = got.length <= want && (got.length === 0 || sum(got) < MAX_AHEAD_BYTES);
  const entries = got.slice(0, want).map((e): [Uint8Array, Uint8Array] => [e.key.subarray(contextId.length), e.value]);
  const after = versions.stable(ctx);
  return { version: before !== null && before === after ? before : null, entries: packEntries(entries), toEnd };
}

function sum(entries: Array<{ value: Uint8Array }>): number {
  let n = 0;
  for (const e of entries) n += e.value.length;
  return n;
}
