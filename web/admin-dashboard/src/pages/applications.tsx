/** Applications: list, install (URL, file upload, node path), uninstall, details with metadata. */
import { useState } from 'preact/hooks';
import { client, hashBytes, type Application } from '../lib/api.ts';
import { decodeBytes, decodedText, formatBytes, shortId, textToBytes } from '../lib/format.ts';
import { navigate } from '../lib/router.ts';
import { Card, ConfirmButton, Empty, ErrorBox, Field, Id, Link, Loading, PageHead, RefreshButton, Success, useAction, useAsync, val } from '../components/ui.tsx';

const ZERO_ID = '11111111111111111111111111111111';

/** A short label for an app: its metadata's name if it is JSON with one, else the file name of its source. */
export function appLabel(app: Application): string {
  const d = decodeBytes(app.metadata);
  if (d.kind === 'json' && d.value && typeof d.value === 'object') {
    const name = (d.value as Record<string, unknown>).name ?? (d.value as Record<string, unknown>).package;
    if (typeof name === 'string' && name) return name;
  }
  const tail = app.source.split(/[/\\]/).filter(Boolean).pop();
  return tail && !/^[1-9A-HJ-NP-Za-km-z]{32,44}$/.test(tail) ? decodeURIComponent(tail) : shortId(app.id);
}

type Mode = 'url' | 'upload' | 'path';

function InstallForm(props: { onInstalled: (id: string) => void }) {
  const [mode, setMode] = useState<Mode>('url');
  const [url, setUrl] = useState('');
  const [hash, setHash] = useState('');
  const [path, setPath] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [metadata, setMetadata] = useState('');
  const [pkg, setPkg] = useState('');
  const [version, setVersion] = useState('');
  const [installed, setInstalled] = useState<string | null>(null);
  const action = useAction();

  const submit = async (e: Event) => {
    e.preventDefault();
    setInstalled(null);
    const meta = textToBytes(metadata);
    const named = { package: pkg.trim() || undefined, version: version.trim() || undefined };
    const id = await action.run(async () => {
      if (mode === 'url') return client.installApplication({ url: url.trim(), hash: hash.trim() || undefined, metadata: meta, ...named });
      if (mode === 'path') return client.installDevApplication({ path: path.trim(), metadata: meta, ...named });
      if (!file) throw new Error('Choose a .wasm file first.');
      // Store the bytes as a blob, then let the node install from its own blob URL (it reads its blob store,
      // so this works with auth too). The sha256 makes the node check it installs these very bytes; browsers
      // offer crypto.subtle only on https and localhost pages.
      const bytes = new Uint8Array(await file.arrayBuffer());
      const blob = await client.uploadBlob(bytes);
      const sha = globalThis.crypto?.subtle ? await hashBytes(bytes) : undefined;
      return client.installApplication({ url: client.blobUrl(blob.blob_id), hash: sha, metadata: meta, ...named });
    });
    if (id) {
      setInstalled(id);
      props.onInstalled(id);
    }
  };

  const tab = (m: Mode, label: string) => (
    <button type="button" role="tab" id={`install-tab-${m}`} aria-controls="install-panel" aria-selected={mode === m} class={`tab${mode === m ? ' active' : ''}`} onClick={() => setMode(m)} data-testid={`install-mode-${m}`}>
      {label}
    </button>
  );

  return (
    <Card title="Install an application" testid="install-card">
      <div class="tabs" role="tablist" aria-label="Install from">
        {tab('url', 'From URL')}
        {tab('upload', 'Upload file')}
        {tab('path', 'Node path')}
      </div>
      <form onSubmit={submit} class="form" data-testid="install-form" id="install-panel" role="tabpanel" aria-labelledby={`install-tab-${mode}`}>
        {mode === 'url' && (
          <>
            <Field id="install-url" label="WASM URL" hint="The node downloads it over http(s); private and loopback addresses and file:// only with [server.admin] allow_private_install_urls. .mpk bundles are not supported yet.">
              <input id="install-url" data-testid="install-url" type="url" required placeholder="https://example.com/app.wasm" value={url} onInput={(e) => setUrl(val(e))} />
            </Field>
            <Field id="install-hash" label="SHA-256 (optional)" hint="base58 sha256 of the file; the install fails if it differs.">
              <input id="install-hash" data-testid="install-hash" value={hash} onInput={(e) => setHash(val(e))} spellcheck={false} />
            </Field>
          </>
        )}
        {mode === 'upload' && (
          <Field id="install-file" label="WASM file" hint="Uploaded as a blob, then installed from the node's own blob URL.">
            <input id="install-file" data-testid="install-file" type="file" accept=".wasm,application/wasm" required onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)} />
          </Field>
        )}
        {mode === 'path' && (
          <Field id="install-path" label="Path on the node" hint="A file on the node's own filesystem (install-dev-application).">
            <input id="install-path" data-testid="install-path" required placeholder="/path/to/app.wasm" value={path} onInput={(e) => setPath(val(e))} spellcheck={false} />
          </Field>
        )}
        <Field id="install-metadata" label="Metadata (optional)" hint="Stored with the application as UTF-8 bytes; part of its id. JSON like {&quot;name&quot;:&quot;kv-store&quot;} names it in this list.">
          <textarea id="install-metadata" data-testid="install-metadata" rows={2} value={metadata} onInput={(e) => setMetadata(val(e))} spellcheck={false} />
        </Field>
        <Field id="install-package" label="Package (optional)" hint="Package name, e.g. com.example.kv; without one the node records unknown.">
          <input id="install-package" data-testid="install-package" value={pkg} onInput={(e) => setPkg(val(e))} spellcheck={false} />
        </Field>
        <Field id="install-version" label="Version (optional)" hint="Version of the package, e.g. 1.0.0 (default 0.0.0); the highest semantic version is the package's latest.">
          <input id="install-version" data-testid="install-version" value={version} onInput={(e) => setVersion(val(e))} spellcheck={false} />
        </Field>
        <div class="form-actions">
          <button type="submit" class="btn btn-primary" disabled={action.busy} data-testid="install-submit">
            {action.busy ? 'Installing…' : 'Install'}
          </button>
        </div>
      </form>
      <ErrorBox error={action.error} testid="install-error" title="Install failed" />
      {installed && (
        <Success testid="install-success">
          Installed <Link to={`/applications/${installed}`}>{installed}</Link>.
        </Success>
      )}
    </Card>
  );
}

/** Package names with their versions and the latest one (GET /admin-api/packages…); reloads with the app list. */
function PackagesCard(props: { apps: Application[] | undefined }) {
  const pkgs = useAsync(async () => {
    const names = (await client.listPackages()).sort();
    return Promise.all(names.map(async (name) => ({ name, versions: await client.listVersions(name), latest: await client.getLatestVersion(name) })));
  }, [props.apps]);
  return (
    <Card title="Packages" testid="packages-card">
      {pkgs.loading && !pkgs.data ? (
        <Loading />
      ) : pkgs.error ? (
        <ErrorBox error={pkgs.error} />
      ) : pkgs.data && pkgs.data.length ? (
        <div class="table-wrap">
          <table data-testid="packages-table">
            <thead>
              <tr>
                <th scope="col">Package</th>
                <th scope="col">Versions</th>
                <th scope="col">Latest</th>
              </tr>
            </thead>
            <tbody>
              {pkgs.data.map((p) => (
                <tr key={p.name} data-testid="package-row" data-package={p.name}>
                  <td data-label="Package">
                    <code>{p.name}</code>
                  </td>
                  <td data-label="Versions" class="wrap">{[...p.versions].sort().join(', ')}</td>
                  <td data-label="Latest" data-testid="package-latest">
                    {p.latest.applicationId ? <Link to={`/applications/${p.latest.applicationId}`}>{p.latest.version}</Link> : '—'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <Empty>No packages yet.</Empty>
      )}
    </Card>
  );
}

export function ApplicationsPage() {
  const apps = useAsync(() => client.listApplications());
  const action = useAction();

  return (
    <div class="page">
      <PageHead title="Applications" subtitle="WASM applications installed on this node." actions={<RefreshButton onClick={apps.reload} loading={apps.loading} />} />
      <InstallForm onInstalled={apps.reload} />
      <Card title={`Installed${apps.data ? ` (${apps.data.length})` : ''}`} testid="apps-card">
        <ErrorBox error={action.error} title="Uninstall failed" />
        {apps.loading && !apps.data ? (
          <Loading />
        ) : apps.error ? (
          <ErrorBox error={apps.error} />
        ) : apps.data && apps.data.length ? (
          <div class="table-wrap">
            <table data-testid="apps-table">
              <thead>
                <tr>
                  <th scope="col">Application</th>
                  <th scope="col">Id</th>
                  <th scope="col">Size</th>
                  <th scope="col">Source</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {apps.data.map((a) => (
                  <tr key={a.id} data-testid="app-row" data-app-id={a.id}>
                    <td data-label="Application">
                      <Link to={`/applications/${a.id}`}>{appLabel(a)}</Link>
                    </td>
                    <td data-label="Id">
                      <Id value={a.id} short />
                    </td>
                    <td data-label="Size" class="nowrap">{formatBytes(a.size)}</td>
                    <td data-label="Source" class="wrap">
                      <code>{a.source}</code>
                    </td>
                    <td class="actions">
                      <Link to={`/contexts?app=${a.id}`} class="btn btn-small" testid="app-create-context">
                        New context
                      </Link>
                      <ConfirmButton
                        small
                        label="Uninstall"
                        testid="app-uninstall"
                        disabled={action.busy}
                        onConfirm={async () => {
                          await action.run(() => client.uninstallApplication(a.id));
                          apps.reload();
                        }}
                      />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <Empty>No applications yet. Install one above.</Empty>
        )}
      </Card>
      <PackagesCard apps={apps.data} />
    </div>
  );
}

export function ApplicationPage(props: { id: string }) {
  const app = useAsync(() => client.getApplication(props.id), [props.id]);
  const contexts = useAsync(() => client.contextsForApplication(props.id), [props.id]);
  const action = useAction();

  if (app.loading && !app.data) return <div class="page"><Loading what="application" /></div>;
  if (app.error) {
    return (
      <div class="page">
        <PageHead title="Application" />
        <ErrorBox error={app.error} />
      </div>
    );
  }
  const a = app.data;
  if (!a) {
    return (
      <div class="page">
        <PageHead title="Application not found" />
        <p>
          The node has no application <code>{props.id}</code>. <Link to="/applications">Back to applications</Link>
        </p>
      </div>
    );
  }
  const meta = decodeBytes(a.metadata);
  return (
    <div class="page">
      <PageHead
        title={appLabel(a)}
        subtitle={<Link to="/applications">← Applications</Link>}
        actions={
          <>
            <Link to={`/contexts?app=${a.id}`} class="btn btn-primary">
              New context
            </Link>
            <ConfirmButton
              label="Uninstall"
              onConfirm={async () => {
                const ok = await action.run(() => client.uninstallApplication(a.id));
                if (ok) navigate('/applications');
              }}
            />
          </>
        }
      />
      <ErrorBox error={action.error} />
      <div class="grid">
        <Card title="Details" testid="app-details">
          <dl class="props">
            <dt>Application id</dt>
            <dd>
              <Id value={a.id} testid="app-id" />
            </dd>
            <dt>Bytecode blob</dt>
            <dd>
              <Id value={a.blob.bytecode} />
            </dd>
            <dt>Compiled blob</dt>
            <dd>{a.blob.compiled === ZERO_ID ? <span class="muted">not compiled yet</span> : <Id value={a.blob.compiled} />}</dd>
            <dt>Size</dt>
            <dd>
              {formatBytes(a.size)} <span class="muted">({a.size} bytes)</span>
            </dd>
            <dt>Source</dt>
            <dd class="wrap">
              <code>{a.source}</code>
            </dd>
          </dl>
        </Card>
        <Card title="Metadata" testid="app-metadata">
          {meta.kind === 'empty' ? <p class="muted">No metadata.</p> : <pre class="code">{decodedText(meta)}</pre>}
          <p class="muted">
            {a.metadata.length} bytes{meta.kind === 'json' ? ', JSON' : meta.kind === 'text' ? ', UTF-8 text' : meta.kind === 'binary' ? ', binary' : ''}.
          </p>
        </Card>
      </div>
      <Card title="Contexts running this application">
        {contexts.error ? (
          <ErrorBox error={contexts.error} />
        ) : !contexts.data ? (
          <Loading />
        ) : contexts.data.length ? (
          <ul class="plain">
            {contexts.data.map((c) => (
              <li key={c.id}>
                <Link to={`/contexts/${c.id}`}>
                  <code>{c.id}</code>
                </Link>
              </li>
            ))}
          </ul>
        ) : (
          <Empty>No contexts yet.</Empty>
        )}
      </Card>
    </div>
  );
}
