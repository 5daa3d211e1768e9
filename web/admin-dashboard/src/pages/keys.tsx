/**
 * Keys: mero-auth root keys and client keys (`/admin/keys`, `/admin/keys/clients`; embedded mode, or mero-auth
 * behind the proxy), the seed's wallet keys from the DID, and "delete all keys" (`DELETE /admin-api/identity/keys`).
 */
import { useState } from 'preact/hooks';
import { ApiError, client } from '../lib/api.ts';
import { formatTime } from '../lib/format.ts';
import { Card, ConfirmButton, Empty, ErrorBox, Id, Loading, PageHead, RefreshButton, Success, useAction, useAsync } from '../components/ui.tsx';

function NotMounted(props: { error: unknown }) {
  const e = props.error;
  if (e instanceof ApiError && (e.status === 404 || e.status === 405)) {
    return (
      <p class="muted" data-testid="auth-admin-missing">
        mero-auth's <code>/admin</code> routes are not available here (HTTP {e.status}): the node runs without
        embedded auth and no auth service answers behind it.
      </p>
    );
  }
  return <ErrorBox error={e} />;
}

function Permissions(props: { list: string[] }) {
  if (props.list.length === 0) return <span class="muted">none</span>;
  return (
    <span class="tags">
      {props.list.map((p) => (
        <span key={p} class="tag">
          {p}
        </span>
      ))}
    </span>
  );
}

function walletField(k: Record<string, unknown>, ...names: string[]): unknown {
  for (const n of names) if (k[n] !== undefined && k[n] !== null) return k[n];
  return undefined;
}

function walletLabel(w: unknown): string {
  if (!w || typeof w !== 'object') return '—';
  const o = w as Record<string, unknown>;
  return [o.type, o.networkId ?? o.chainId ?? o.walletName].filter((x) => x !== undefined).join(' · ');
}

export function KeysPage() {
  const roots = useAsync(() => client.listRootKeys());
  const clients = useAsync(() => client.listClientKeys());
  const didQ = useAsync(() => client.did());
  const action = useAction();
  const [done, setDone] = useState<string | null>(null);

  const reloadAll = () => {
    roots.reload();
    clients.reload();
    didQ.reload();
  };
  const act = async (what: string, fn: () => Promise<unknown>) => {
    setDone(null);
    const ok = await action.run(async () => {
      await fn();
      return true;
    });
    if (ok) setDone(what);
    reloadAll();
  };

  return (
    <div class="page">
      <PageHead title="Keys" subtitle="Who may use this node: root keys, the client keys issued under them, and wallet keys." actions={<RefreshButton onClick={reloadAll} loading={roots.loading} />} />
      <ErrorBox error={action.error} testid="keys-action-error" />
      {done && <Success testid="keys-done">{done}</Success>}

      <Card title="Root keys" testid="root-keys">
        {roots.loading && !roots.data ? (
          <Loading />
        ) : roots.error ? (
          <NotMounted error={roots.error} />
        ) : roots.data && roots.data.length ? (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Key id</th>
                  <th scope="col">Public key / user</th>
                  <th scope="col">Method</th>
                  <th scope="col">Permissions</th>
                  <th scope="col">Created</th>
                  <th scope="col">Status</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {roots.data.map((k) => (
                  <tr key={k.key_id} data-testid="root-key-row">
                    <td data-label="Key id">
                      <Id value={k.key_id} short />
                    </td>
                    <td data-label="Public key">{k.public_key ?? '—'}</td>
                    <td data-label="Method">{k.auth_method ?? '—'}</td>
                    <td data-label="Permissions">
                      <Permissions list={k.permissions} />
                    </td>
                    <td data-label="Created">{formatTime(k.created_at)}</td>
                    <td data-label="Status">{k.revoked_at ? <span class="badge badge-danger">revoked {formatTime(k.revoked_at)}</span> : <span class="badge badge-ok">active</span>}</td>
                    <td class="actions">
                      {!k.revoked_at && (
                        <ConfirmButton small label="Delete" onConfirm={() => act(`Root key ${k.key_id} deleted.`, () => client.deleteRootKey(k.key_id))} disabled={action.busy} />
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <Empty>No root keys.</Empty>
        )}
      </Card>

      <Card title="Client keys" testid="client-keys">
        {clients.loading && !clients.data ? (
          <Loading />
        ) : clients.error ? (
          <NotMounted error={clients.error} />
        ) : clients.data && clients.data.length ? (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Client id</th>
                  <th scope="col">Name</th>
                  <th scope="col">Root key</th>
                  <th scope="col">Permissions</th>
                  <th scope="col">Created</th>
                  <th scope="col">Status</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {clients.data.map((k) => (
                  <tr key={k.client_id} data-testid="client-key-row">
                    <td data-label="Client id">
                      <Id value={k.client_id} short />
                    </td>
                    <td data-label="Name">{k.name}</td>
                    <td data-label="Root key">
                      <Id value={k.root_key_id} short />
                    </td>
                    <td data-label="Permissions">
                      <Permissions list={k.permissions} />
                    </td>
                    <td data-label="Created">{formatTime(k.created_at)}</td>
                    <td data-label="Status">{k.revoked_at ? <span class="badge badge-danger">revoked</span> : k.is_valid ? <span class="badge badge-ok">valid</span> : <span class="badge">invalid</span>}</td>
                    <td class="actions">
                      {!k.revoked_at && (
                        <ConfirmButton
                          small
                          label="Revoke"
                          onConfirm={() => act(`Client key ${k.client_id} revoked.`, () => client.revokeClientKey(k.root_key_id, k.client_id))}
                          disabled={action.busy}
                        />
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <Empty>No client keys.</Empty>
        )}
      </Card>

      <Card title="Wallet keys (DID)" testid="wallet-keys">
        {didQ.loading && !didQ.data ? (
          <Loading />
        ) : didQ.error ? (
          <ErrorBox error={didQ.error} />
        ) : didQ.data ? (
          <>
            <p class="muted">
              The seed's wallet login (NEAR, MetaMask): <code>{didQ.data.id}</code> with {didQ.data.root_keys.length} root and {didQ.data.client_keys.length} client keys.
            </p>
            {didQ.data.root_keys.length + didQ.data.client_keys.length > 0 && (
              <div class="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Kind</th>
                      <th scope="col">Signing key</th>
                      <th scope="col">Wallet</th>
                      <th scope="col">Context</th>
                      <th scope="col">Created</th>
                    </tr>
                  </thead>
                  <tbody>
                    {[...didQ.data.root_keys.map((k) => ['root', k] as const), ...didQ.data.client_keys.map((k) => ['client', k] as const)].map(([kind, k], i) => (
                      <tr key={i} data-testid="wallet-key-row">
                        <td data-label="Kind">{kind}</td>
                        <td data-label="Signing key">
                          <code class="wrap">{String(walletField(k, 'signing_key', 'signingKey') ?? '—')}</code>
                        </td>
                        <td data-label="Wallet">{walletLabel(walletField(k, 'wallet'))}</td>
                        <td data-label="Context">{String(walletField(k, 'contextId', 'context_id') ?? '—')}</td>
                        <td data-label="Created">{formatTime(walletField(k, 'created_at', 'createdAt') as number | undefined)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </>
        ) : null}
      </Card>

      <Card title="Danger zone" class="danger-zone">
        <p>
          <strong>Delete all keys</strong> forgets every wallet root and client key of this node (<code>DELETE /admin-api/identity/keys</code>). Tokens from the
          login page (root keys above) are not affected.
        </p>
        <ConfirmButton
          label="Delete all keys"
          confirmLabel="Yes, delete all wallet keys"
          testid="delete-all-keys"
          disabled={action.busy}
          onConfirm={() => act('All wallet keys were deleted.', () => client.deleteWalletKeys())}
        />
      </Card>
    </div>
  );
}
