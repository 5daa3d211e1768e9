/** The shell: header, navigation, sign-in gate, page routing. */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, client, type NodeInfo } from './lib/api.ts';
import { NodeContext, type NodeSummary } from './lib/node.ts';
import { accessToken, authState, goToLogin, onAuthChange, signOut, type AuthState } from './lib/auth.ts';
import { match, useRoute } from './lib/router.ts';
import { ErrorBox, Link } from './components/ui.tsx';
import { NodePage } from './pages/node.tsx';
import { KeysPage } from './pages/keys.tsx';
import { ApplicationsPage, ApplicationPage } from './pages/applications.tsx';
import { ContextsPage, ContextPage } from './pages/contexts.tsx';
import { EventsPage } from './pages/events.tsx';
import { ConsolePage } from './pages/console.tsx';
import { BlobsPage } from './pages/blobs.tsx';

export { NodeContext, useNode, type NodeSummary } from './lib/node.ts';

const NAV: Array<{ to: string; label: string; id: string }> = [
  { to: '/', label: 'Node', id: 'node' },
  { to: '/keys', label: 'Keys', id: 'keys' },
  { to: '/applications', label: 'Applications', id: 'applications' },
  { to: '/contexts', label: 'Contexts', id: 'contexts' },
  { to: '/events', label: 'Live events', id: 'events' },
  { to: '/console', label: 'JSON-RPC console', id: 'console' },
  { to: '/blobs', label: 'Blobs', id: 'blobs' },
];

function useAuthState(): AuthState {
  const [s, setS] = useState(authState);
  useEffect(() => onAuthChange(() => setS(authState())), []);
  return s;
}

/** Probes a protected route: no 401 → in (with or without a token); 401 → the login flow (lib/api.ts). */
async function probe(): Promise<NodeSummary> {
  try {
    return { info: await client.nodeInfo(), infoError: null };
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 405)) {
      // A node without our node-info route: any protected route tells whether auth is needed.
      await client.listApplications();
      return { info: null, infoError: err };
    }
    throw err;
  }
}

function Page(props: { path: string }) {
  const { path } = props;
  let m: Record<string, string> | null;
  if (path === '/' || path === '') return <NodePage />;
  if (path === '/keys') return <KeysPage />;
  if (path === '/applications') return <ApplicationsPage />;
  if ((m = match('/applications/:id', path))) return <ApplicationPage id={m.id!} />;
  if (path === '/contexts') return <ContextsPage />;
  if ((m = match('/contexts/:id', path))) return <ContextPage id={m.id!} />;
  if (path === '/events') return <EventsPage />;
  if (path === '/console') return <ConsolePage />;
  if (path === '/blobs') return <BlobsPage />;
  return (
    <div class="page">
      <h1>Not found</h1>
      <p>
        There is no page at <code>{path}</code>. <Link to="/">Go to the node overview</Link>.
      </p>
    </div>
  );
}

export function App() {
  const route = useRoute();
  const auth = useAuthState();
  const [summary, setSummary] = useState<NodeSummary | null>(null);
  const [probeError, setProbeError] = useState<unknown>(null);
  const [menuOpen, setMenuOpen] = useState(false);

  useEffect(() => {
    probe().then(setSummary, setProbeError);
  }, []);
  useEffect(() => setMenuOpen(false), [route.path]);

  const section = route.path === '/' ? 'node' : route.path.split('/')[1];
  const authMode = summary?.info?.authMode;
  const signedIn = auth.kind === 'ok' && auth.withToken && Boolean(accessToken());

  let body;
  if (auth.kind === 'required') {
    body = (
      <div class="page">
        <div class="card signin" data-testid="signin-required">
          <h1>Sign in required</h1>
          <p>
            This node protects its Admin API. {auth.looped ? 'Signing in did not give a token this node accepts (it answered 401 again).' : 'Taking you to the login page…'}
          </p>
          <button type="button" class="btn btn-primary" onClick={goToLogin} data-testid="go-login">
            Go to the login page
          </button>
        </div>
      </div>
    );
  } else if (probeError) {
    body = (
      <div class="page">
        <ErrorBox error={probeError} title="Cannot reach the node's Admin API" />
        <button type="button" class="btn" onClick={() => window.location.reload()}>
          Retry
        </button>
      </div>
    );
  } else if (!summary) {
    body = (
      <div class="page">
        <p class="muted" role="status">
          Connecting to the node…
        </p>
      </div>
    );
  } else {
    body = <Page path={route.path} />;
  }

  return (
    <NodeContext.Provider value={summary ?? { info: null, infoError: null }}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <div class="shell">
        <header class="topbar">
          <Link to="/" class="brand">
            <span class="logo" aria-hidden="true">
              ◆
            </span>
            <span>
              Calimero <span class="brand-sub">Admin Dashboard</span>
            </span>
          </Link>
          <div class="topbar-right">
            {authMode && (
              <span class="badge" data-testid="auth-mode-badge" title="Node auth mode">
                {authMode}
              </span>
            )}
            {signedIn ? (
              <button type="button" class="btn btn-small" onClick={signOut} data-testid="sign-out">
                Sign out
              </button>
            ) : auth.kind === 'ok' ? (
              <span class="badge badge-muted" title="The node answered without asking for a token">
                no sign-in needed
              </span>
            ) : null}
            <button
              type="button"
              class="btn btn-small menu-toggle"
              aria-expanded={menuOpen}
              aria-controls="nav"
              onClick={() => setMenuOpen(!menuOpen)}
            >
              Menu
            </button>
          </div>
        </header>
        <nav id="nav" class={`nav${menuOpen ? ' open' : ''}`} aria-label="Dashboard">
          <ul>
            {NAV.map((n) => (
              <li key={n.id}>
                <Link to={n.to} testid={`nav-${n.id}`} class={section === n.id ? 'active' : ''} aria-current={section === n.id ? 'page' : undefined}>
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" class="main">
          {body}
        </main>
      </div>
    </NodeContext.Provider>
  );
}
