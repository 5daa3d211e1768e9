import type { SyncStatus } from '../client/types.ts';

/** How long ago `at` was, coarsely (`4 s ago`, `3 min ago`, `2 h ago`, `5 d ago`). */
export function ago(at: number, now: number): string {
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 120) return `${s} s ago`;
  if (s < 7200) return `${Math.round(s / 60)} min ago`;
  if (s < 172_800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

/** The human form of `meroctl context sync-status`: one line per figure, then the peers and the failed entries. */
export function formatSyncStatus(st: SyncStatus, now = Date.now()): string {
  const when = (t: number | null) => (t === null ? 'never (since the node started)' : `${new Date(t).toISOString()} (${ago(t, now)})`);
  const lines = [
    `context        ${st.contextId}`,
    `members        ${st.members.total} (${st.members.owned} on this node)`,
    `peers          ${st.reachablePeers} reachable, ${st.knownPeers} known`,
    `last sync      ${when(st.lastSync)}`,
    `last applied   ${st.lastApplied ? `${st.lastApplied.id} ${when(st.lastApplied.at)}` : 'none (since the node started)'}`,
  ];
  if (st.isolatedSince !== null) lines.push(`isolated       since ${when(st.isolatedSince)}`);
  lines.push(`pending        ${st.pending}`, `heads          ${st.heads.join(', ') || '(none)'}`);
  for (const p of st.peers) lines.push(`peer           ${p.peerId}  ${p.reachable ? 'reachable' : 'unreachable'}  last sync ${p.lastSync === null ? 'never' : ago(p.lastSync, now)}`);
  lines.push(`failed         ${st.failed.length}${st.failed.length ? ' (retried on restart, application update, or `meroctl context sync`)' : ''}`);
  for (const f of st.failed) lines.push(`  ${f.id}  by ${f.author}  since ${new Date(f.since).toISOString()}  attempts ${f.attempts}: ${f.reason}`);
  return lines.join('\n');
}
