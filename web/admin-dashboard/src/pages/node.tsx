/** Node identity: DID, peer id, listen addresses, auth mode, version, health, peers. */
import { useNode } from '../lib/node.ts';
import { ApiError, client } from '../lib/api.ts';
import { Card, ErrorBox, Id, Link, Loading, PageHead, useAsync } from '../components/ui.tsx';

function Unavailable(props: { error: unknown }) {
  const e = props.error;
  if (e instanceof ApiError && (e.status === 404 || e.status === 405)) {
    return (
      <p class="muted" data-testid="unavailable">
        Not available on this node (HTTP {e.status} for <code>{e.path}</code>).
      </p>
    );
  }
  return <ErrorBox error={e} />;
}

export function NodePage() {
  const { info, infoError } = useNode();
  const didQ = useAsync(() => client.did());
  const healthQ = useAsync(async () => (await client.health()).status);
  const peersQ = useAsync(() => client.peers());
  const counts = useAsync(async () => {
    const [apps, ctxs] = await Promise.all([client.listApplications(), client.listContexts()]);
    return { apps: apps.length, contexts: ctxs.length };
  });

  return (
    <div class="page">
      <PageHead title="Node" subtitle="Who this node is and how to reach it." />
      <div class="grid">
        <Card title="Identity" testid="identity-card">
          {info ? (
            <dl class="props">
              <dt>Peer ID</dt>
              <dd>
                <Id value={info.peerId} testid="peer-id" />
              </dd>
              <dt>Auth mode</dt>
              <dd>
                <span class="badge" data-testid="auth-mode">
                  {info.authMode}
                </span>{' '}
                <span class="muted">
                  {info.authMode === 'embedded'
                    ? 'mero-auth runs inside the node'
                    : 'authentication is expected from mero-auth behind a reverse proxy'}
                </span>
              </dd>
              {info.version && (
                <>
                  <dt>Version</dt>
                  <dd data-testid="node-version">{info.version}</dd>
                </>
              )}
            </dl>
          ) : (
            <Unavailable error={infoError} />
          )}
        </Card>

        <Card title="Listen addresses" testid="listen-card">
          {info ? (
            info.listen.length ? (
              <ul class="plain" data-testid="listen-addresses">
                {info.listen.map((u) => (
                  <li key={u}>
                    <code>{u}</code>
                  </li>
                ))}
              </ul>
            ) : (
              <p class="muted">The node reports no listen address.</p>
            )
          ) : (
            <p class="muted">
              This page is served from <code>{window.location.origin}</code>.
            </p>
          )}
        </Card>

        <Card title="Status">
          <dl class="props">
            <dt>Health</dt>
            <dd data-testid="health">
              {healthQ.error ? <span class="text-danger">unreachable</span> : healthQ.data ? <span class="badge badge-ok">{healthQ.data}</span> : '…'}
            </dd>
            <dt>Connected peers</dt>
            <dd data-testid="peers">{peersQ.error ? '—' : (peersQ.data ?? '…')}</dd>
            <dt>Applications</dt>
            <dd>{counts.data ? <Link to="/applications">{counts.data.apps}</Link> : '…'}</dd>
            <dt>Contexts</dt>
            <dd>{counts.data ? <Link to="/contexts">{counts.data.contexts}</Link> : '…'}</dd>
          </dl>
          {counts.error ? <ErrorBox error={counts.error} /> : null}
        </Card>

        <Card title="DID" testid="did-card">
          {didQ.loading && !didQ.data ? (
            <Loading />
          ) : didQ.data ? (
            <dl class="props">
              <dt>DID</dt>
              <dd>
                <code data-testid="did">{didQ.data.id}</code>
              </dd>
              <dt>Wallet root keys</dt>
              <dd>{didQ.data.root_keys.length}</dd>
              <dt>Wallet client keys</dt>
              <dd>{didQ.data.client_keys.length}</dd>
            </dl>
          ) : (
            <Unavailable error={didQ.error} />
          )}
          <p class="muted">
            Keys are managed on the <Link to="/keys">Keys</Link> page.
          </p>
        </Card>
      </div>
    </div>
  );
}
