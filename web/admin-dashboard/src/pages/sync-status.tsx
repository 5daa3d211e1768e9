/**
 * The sync status panel of a context's page (GET /admin-api/contexts/:id/sync-status): members and reachable
 * peers, the last sync, isolation, entries waiting for parents, and the entries whose merge failed, with a
 * button that asks the node to re-sync the context and retry those merges (POST /admin-api/contexts/sync/:id).
 */
import { useEffect, useState } from 'preact/hooks';
import { client } from '../lib/api.ts';
import { formatTime, shortId } from '../lib/format.ts';
import { Card, ErrorBox, Id, Loading, RefreshButton, Success, useAction, useAsync } from '../components/ui.tsx';

/** How often the panel reloads itself while the page is open. */
const RELOAD_MS = 5_000;
/** The node answers a re-sync at once and works in the background: the panel looks again after this long. */
const AFTER_RESYNC_MS = 1_500;

export function SyncStatusCard(props: { contextId: string }) {
  const status = useAsync(() => client.syncStatus(props.contextId), [props.contextId]);
  const action = useAction();
  const [requested, setRequested] = useState(false);

  useEffect(() => {
    const t = setInterval(status.reload, RELOAD_MS);
    return () => clearInterval(t);
  }, [status.reload]);

  const resync = async () => {
    setRequested(false);
    const ok = await action.run(async () => (await client.syncContext(props.contextId), true));
    if (!ok) return;
    setRequested(true);
    setTimeout(status.reload, AFTER_RESYNC_MS);
  };

  const s = status.data;
  return (
    <Card
      title="Sync status"
      testid="sync-status"
      actions={
        <>
          <RefreshButton onClick={status.reload} loading={status.loading} />
          <button type="button" class="btn btn-small" disabled={action.busy} data-testid="sync-retry" onClick={resync}>
            {action.busy ? 'Requesting…' : s?.failed.length ? 'Re-sync and retry failed' : 'Re-sync now'}
          </button>
        </>
      }
    >
      <ErrorBox error={action.error} testid="sync-retry-error" title="Re-sync failed" />
      {requested && <Success testid="sync-retry-success">Re-sync requested: the node pulls from its peers and retries failed merges.</Success>}
      {status.error && !s ? (
        <ErrorBox error={status.error} />
      ) : !s ? (
        <Loading what="sync status" />
      ) : (
        <>
          <dl class="props">
            <dt>Members</dt>
            <dd data-testid="sync-members">
              {s.members.total} ({s.members.owned} on this node)
            </dd>
            <dt>Reachable peers</dt>
            <dd data-testid="sync-reachable" data-reachable={s.reachablePeers}>
              {s.reachablePeers} of {s.knownPeers} known{' '}
              {s.isolatedSince !== null && (
                <span class="badge badge-danger" data-testid="sync-isolated">
                  isolated since {formatTime(s.isolatedSince)}
                </span>
              )}
            </dd>
            <dt>Last sync</dt>
            <dd data-testid="sync-last">{s.lastSync === null ? <span class="muted">none since the node started</span> : formatTime(s.lastSync)}</dd>
            <dt>Last applied from a peer</dt>
            <dd>{s.lastApplied ? <><code>{shortId(s.lastApplied.id)}</code> at {formatTime(s.lastApplied.at)}</> : <span class="muted">none since the node started</span>}</dd>
            <dt>Waiting for parents</dt>
            <dd data-testid="sync-pending">{s.pending}</dd>
            <dt>Failed merges</dt>
            <dd data-testid="sync-failed-count" data-count={s.failed.length}>
              {s.failed.length === 0 ? <span class="badge badge-ok">none</span> : <span class="badge badge-danger">{s.failed.length}</span>}
            </dd>
          </dl>
          {s.peers.length > 0 && (
            <ul class="plain" data-testid="sync-peers">
              {s.peers.map((p) => (
                <li key={p.peerId} data-testid="sync-peer">
                  <Id value={p.peerId} short /> <span class={`badge ${p.reachable ? 'badge-ok' : 'badge-muted'}`}>{p.reachable ? 'reachable' : 'unreachable'}</span>{' '}
                  <span class="muted">last sync {formatTime(p.lastSync)}</span>
                </li>
              ))}
            </ul>
          )}
          {s.failed.length > 0 && (
            <div class="table-wrap">
              <table data-testid="sync-failed">
                <thead>
                  <tr>
                    <th scope="col">Entry</th>
                    <th scope="col">Author</th>
                    <th scope="col">Since</th>
                    <th scope="col">Attempts</th>
                    <th scope="col">Reason</th>
                  </tr>
                </thead>
                <tbody>
                  {s.failed.map((f) => (
                    <tr key={f.id} data-testid="sync-failed-row">
                      <td data-label="Entry">
                        <code title={f.id}>{shortId(f.id)}</code>
                      </td>
                      <td data-label="Author">
                        <code title={f.author}>{shortId(f.author)}</code>
                      </td>
                      <td data-label="Since">{formatTime(f.since)}</td>
                      <td data-label="Attempts">{f.attempts}</td>
                      <td data-label="Reason" class="text-danger">
                        {f.reason}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </Card>
  );
}
