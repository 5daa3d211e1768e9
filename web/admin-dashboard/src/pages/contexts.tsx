/**
 * Contexts: list, create from an application with init params, join with an invitation, delete; a context's
 * identities, storage, sync status (sync-status.tsx), and invitations of new members.
 */
import { useEffect, useState } from 'preact/hooks';
import { client, type Application } from '../lib/api.ts';
import { formatBytes, shortId, textToBytes } from '../lib/format.ts';
import { navigate, useRoute } from '../lib/router.ts';
import { hub } from '../lib/events.ts';
import { Card, ConfirmButton, Empty, ErrorBox, Field, Id, MemberSelect, Link, Loading, PageHead, RefreshButton, Success, useAction, useAsync, val } from '../components/ui.tsx';
import { appLabel } from './applications.tsx';
import { SyncStatusCard } from './sync-status.tsx';
import { ProposalsCard } from './proposals.tsx';
import { OpenInvitationsCard } from './open-invitations.tsx';

const ZERO_ID = '11111111111111111111111111111111';

function CreateForm(props: { apps: Application[] | undefined; preselect: string | null; onCreated: () => void }) {
  const [appId, setAppId] = useState(props.preselect ?? '');
  const [protocol, setProtocol] = useState('near');
  const [params, setParams] = useState('');
  const [seed, setSeed] = useState('');
  const [created, setCreated] = useState<{ contextId: string; memberPublicKey: string } | null>(null);
  const action = useAction();

  useEffect(() => {
    if (!appId && props.apps?.length) setAppId(props.preselect ?? props.apps[0]!.id);
  }, [props.apps]);

  const submit = async (e: Event) => {
    e.preventDefault();
    setCreated(null);
    const r = await action.run(async () => {
      let initializationParams: number[] = [];
      const text = params.trim();
      if (text) {
        try {
          initializationParams = textToBytes(JSON.stringify(JSON.parse(text)));
        } catch (err) {
          throw new Error(`Init params are not valid JSON: ${(err as Error).message}`);
        }
      }
      return client.createContext({ protocol: protocol.trim(), applicationId: appId, initializationParams, contextSeed: seed.trim() || undefined });
    });
    if (r) {
      setCreated(r);
      props.onCreated();
    }
  };

  return (
    <Card title="Create a context" testid="create-context-card">
      {props.apps && props.apps.length === 0 ? (
        <p>
          Install an application first on the <Link to="/applications">Applications</Link> page.
        </p>
      ) : (
        <form class="form" onSubmit={submit} data-testid="create-context-form">
          <Field id="ctx-app" label="Application">
            <select id="ctx-app" data-testid="ctx-app" required value={appId} onChange={(e) => setAppId(val(e))}>
              {!props.apps && <option value="">Loading…</option>}
              {props.apps?.map((a) => (
                <option key={a.id} value={a.id}>
                  {appLabel(a)} — {shortId(a.id)}
                </option>
              ))}
            </select>
          </Field>
          <div class="row">
            <Field id="ctx-protocol" label="Protocol" hint="near on a default node.">
              <input id="ctx-protocol" data-testid="ctx-protocol" required value={protocol} onInput={(e) => setProtocol(val(e))} />
            </Field>
            <Field id="ctx-seed" label="Context seed (optional)" hint="base58 of 32 bytes; the same seed gives the same context id.">
              <input id="ctx-seed" data-testid="ctx-seed" value={seed} onInput={(e) => setSeed(val(e))} spellcheck={false} />
            </Field>
          </div>
          <Field id="ctx-params" label="Init params (JSON, optional)" hint="Passed to the application's init as JSON bytes; empty sends no bytes.">
            <textarea id="ctx-params" data-testid="ctx-params" rows={3} value={params} onInput={(e) => setParams(val(e))} spellcheck={false} placeholder="{}" />
          </Field>
          <div class="form-actions">
            <button type="submit" class="btn btn-primary" disabled={action.busy || !appId} data-testid="ctx-create">
              {action.busy ? 'Creating…' : 'Create context'}
            </button>
          </div>
        </form>
      )}
      <ErrorBox error={action.error} testid="create-context-error" title="Create failed" />
      {created && (
        <Success testid="create-context-success">
          Created context{' '}
          <Link to={`/contexts/${created.contextId}`} testid="created-context-id">
            {created.contextId}
          </Link>{' '}
          with member <code>{shortId(created.memberPublicKey)}</code>.{' '}
          <Link to={`/console?context=${created.contextId}`}>Open the console</Link> · <Link to={`/events?context=${created.contextId}`}>Watch events</Link>
        </Success>
      )}
    </Card>
  );
}

/** Joining another node's context: a fresh identity to be invited with, then the invitation it brings back. */
function JoinCard(props: { onJoined: () => void }) {
  const [identity, setIdentity] = useState<string | null>(null);
  const [payload, setPayload] = useState('');
  const [joined, setJoined] = useState<{ contextId: string; memberPublicKey: string } | null>(null);
  const keyAction = useAction();
  const joinAction = useAction();

  const join = async (e: Event) => {
    e.preventDefault();
    setJoined(null);
    const text = payload.trim();
    // An open invitation is JSON; it is used with an identity of this node's pool (the one made above, or a new one).
    const r = await joinAction.run(async () => {
      if (!text.startsWith('{')) return client.join(text);
      const member = identity ?? (await client.generateContextIdentity());
      setIdentity(member);
      const done = await client.joinByOpenInvitation(JSON.parse(text) as Parameters<typeof client.joinByOpenInvitation>[0], member);
      if (!done) throw new Error('The inviter did not add this node.');
      return done;
    });
    if (r) {
      setJoined(r);
      setPayload('');
      props.onJoined();
    }
  };

  return (
    <Card title="Join a context" testid="join-card">
      <p class="muted">
        1. Create an identity on this node and send its public key to a member of the context. 2. Paste the invitation they
        send back (a member creates it on the context's page of their node). An open invitation (JSON) needs no step 1.
      </p>
      <div class="form-actions">
        <button type="button" class="btn" disabled={keyAction.busy} data-testid="new-identity" onClick={async () => setIdentity((await keyAction.run(() => client.generateContextIdentity())) ?? null)}>
          {keyAction.busy ? 'Creating…' : 'New identity'}
        </button>
        {identity && <Id value={identity} testid="new-identity-key" />}
      </div>
      <ErrorBox error={keyAction.error} title="Could not create an identity" />
      <form class="form" onSubmit={join} data-testid="join-form">
        <Field id="join-payload" label="Invitation">
          <textarea id="join-payload" data-testid="join-payload" rows={3} required value={payload} onInput={(e) => setPayload(val(e))} spellcheck={false} />
        </Field>
        <div class="form-actions">
          <button type="submit" class="btn btn-primary" disabled={joinAction.busy || !payload.trim()} data-testid="join-submit">
            {joinAction.busy ? 'Joining… (fetching the context from its members)' : 'Join'}
          </button>
        </div>
      </form>
      <ErrorBox error={joinAction.error} testid="join-error" title="Join failed" />
      {joined && (
        <Success testid="join-success">
          Joined context{' '}
          <Link to={`/contexts/${joined.contextId}`}>{joined.contextId}</Link> as <code>{shortId(joined.memberPublicKey)}</code>.
        </Success>
      )}
    </Card>
  );
}

/** Inviting a member: one of this node's members with ManageMembers adds the invitee's key and gets the payload. */
function InviteCard(props: { contextId: string; owned: string[]; onInvited: () => void }) {
  const [inviter, setInviter] = useState('');
  const [invitee, setInvitee] = useState('');
  const [payload, setPayload] = useState<string | null>(null);
  const action = useAction();
  const from = inviter || props.owned[0] || '';

  const submit = async (e: Event) => {
    e.preventDefault();
    setPayload(null);
    const r = await action.run(async () => {
      const p = await client.invite(props.contextId, from, invitee.trim());
      if (p === null) throw new Error('This node does not know the context.');
      return p;
    });
    if (r) {
      setPayload(r);
      props.onInvited();
    }
  };

  return (
    <Card title="Invite a member" testid="invite-card">
      {props.owned.length === 0 ? (
        <p class="muted">This node owns no member of this context, so it cannot invite.</p>
      ) : (
        <form class="form" onSubmit={submit} data-testid="invite-form">
          <MemberSelect id="invite-as" label="Invite as" members={props.owned} value={from} onChange={setInviter} />
          <Field id="invitee" label="Invitee public key" hint="From “New identity” on the invitee's node (Contexts page).">
            <input id="invitee" data-testid="invitee" required value={invitee} onInput={(e) => setInvitee(val(e))} spellcheck={false} />
          </Field>
          <div class="form-actions">
            <button type="submit" class="btn btn-primary" disabled={action.busy || !invitee.trim()} data-testid="invite-submit">
              {action.busy ? 'Inviting…' : 'Invite'}
            </button>
          </div>
        </form>
      )}
      <ErrorBox error={action.error} testid="invite-error" title="Invite failed" />
      {payload && (
        <Success testid="invite-success">
          Invitation for the invitee's node (Contexts → Join a context):
          <textarea readOnly rows={3} value={payload} data-testid="invitation" onFocus={(e) => (e.currentTarget as HTMLTextAreaElement).select()} />
        </Success>
      )}
    </Card>
  );
}

export function ContextsPage() {
  const route = useRoute();
  const contexts = useAsync(() => client.listContexts());
  const apps = useAsync(() => client.listApplications());
  const action = useAction();
  const labels = new Map((apps.data ?? []).map((a) => [a.id, appLabel(a)]));

  return (
    <div class="page">
      <PageHead title="Contexts" subtitle="Running instances of applications, each with its own state and members." actions={<RefreshButton onClick={contexts.reload} loading={contexts.loading} />} />
      <CreateForm apps={apps.data} preselect={route.query.get('app')} onCreated={contexts.reload} />
      <JoinCard onJoined={contexts.reload} />
      <Card title={`Contexts${contexts.data ? ` (${contexts.data.length})` : ''}`} testid="contexts-card">
        <ErrorBox error={action.error} title="Delete failed" />
        {contexts.loading && !contexts.data ? (
          <Loading />
        ) : contexts.error ? (
          <ErrorBox error={contexts.error} />
        ) : contexts.data && contexts.data.length ? (
          <div class="table-wrap">
            <table data-testid="contexts-table">
              <thead>
                <tr>
                  <th scope="col">Context</th>
                  <th scope="col">Application</th>
                  <th scope="col">Root hash</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {contexts.data.map((c) => (
                  <tr key={c.id} data-testid="context-row" data-context-id={c.id}>
                    <td data-label="Context">
                      <Link to={`/contexts/${c.id}`}>
                        <code>{shortId(c.id, 8)}</code>
                      </Link>
                    </td>
                    <td data-label="Application">
                      <Link to={`/applications/${c.applicationId}`}>{labels.get(c.applicationId) ?? shortId(c.applicationId)}</Link>
                    </td>
                    <td data-label="Root hash">{c.rootHash === ZERO_ID ? <span class="muted">uninitialised</span> : <code>{shortId(c.rootHash)}</code>}</td>
                    <td class="actions">
                      <Link to={`/console?context=${c.id}`} class="btn btn-small">
                        Console
                      </Link>
                      <Link to={`/events?context=${c.id}`} class="btn btn-small">
                        Events
                      </Link>
                      <ConfirmButton
                        small
                        label="Delete"
                        testid="context-delete"
                        disabled={action.busy}
                        onConfirm={async () => {
                          await action.run(() => client.deleteContext(c.id));
                          void hub.unwatch(c.id).catch(() => undefined);
                          contexts.reload();
                        }}
                      />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <Empty>No contexts yet.</Empty>
        )}
      </Card>
    </div>
  );
}

export function ContextPage(props: { id: string }) {
  const ctx = useAsync(() => client.getContext(props.id), [props.id]);
  const identities = useAsync(async () => {
    const [all, owned] = await Promise.all([client.identities(props.id), client.identitiesOwned(props.id)]);
    return { all, owned: new Set(owned) };
  }, [props.id]);
  const owned = identities.data ? identities.data.all.filter((pk) => identities.data!.owned.has(pk)) : null;
  const storage = useAsync(() => client.contextStorage(props.id), [props.id]);
  const action = useAction();
  const [deleted, setDeleted] = useState(false);

  return (
    <div class="page">
      <PageHead
        title={`Context ${shortId(props.id)}`}
        subtitle={<Link to="/contexts">← Contexts</Link>}
        actions={
          <>
            <Link to={`/console?context=${props.id}`} class="btn btn-primary">
              Console
            </Link>
            <Link to={`/events?context=${props.id}`} class="btn">
              Live events
            </Link>
            <ConfirmButton
              label="Delete"
              testid="context-page-delete"
              disabled={action.busy || deleted}
              onConfirm={async () => {
                const r = await action.run(() => client.deleteContext(props.id));
                if (r !== undefined) {
                  setDeleted(true);
                  void hub.unwatch(props.id).catch(() => undefined);
                  navigate('/contexts');
                }
              }}
            />
          </>
        }
      />
      <ErrorBox error={action.error} title="Delete failed" />
      {ctx.error ? (
        <ErrorBox error={ctx.error} />
      ) : !ctx.data ? (
        <Loading what="context" />
      ) : (
        <div class="grid">
          <Card title="Details" testid="context-details">
            <dl class="props">
              <dt>Context id</dt>
              <dd>
                <Id value={ctx.data.id} testid="context-id" />
              </dd>
              <dt>Application</dt>
              <dd>
                <Link to={`/applications/${ctx.data.applicationId}`}>
                  <code>{ctx.data.applicationId}</code>
                </Link>
              </dd>
              <dt>Root hash</dt>
              <dd>{ctx.data.rootHash === ZERO_ID ? <span class="muted">uninitialised</span> : <Id value={ctx.data.rootHash} />}</dd>
              <dt>DAG heads</dt>
              <dd>{ctx.data.dagHeads?.length ?? 0}</dd>
              <dt>Storage size</dt>
              <dd data-testid="context-storage">{storage.error ? <span class="text-danger">{(storage.error as Error).message}</span> : storage.data === undefined ? '…' : formatBytes(storage.data)}</dd>
            </dl>
          </Card>
          <Card title={`Identities${identities.data ? ` (${identities.data.all.length})` : ''}`} testid="context-identities">
            {identities.error ? (
              <ErrorBox error={identities.error} />
            ) : !identities.data ? (
              <Loading />
            ) : identities.data.all.length ? (
              <ul class="plain">
                {identities.data.all.map((pk) => (
                  <li key={pk} data-testid="identity-row">
                    <Id value={pk} /> {identities.data!.owned.has(pk) && <span class="badge badge-ok">owned by this node</span>}
                  </li>
                ))}
              </ul>
            ) : (
              <Empty>No members.</Empty>
            )}
          </Card>
          <SyncStatusCard contextId={props.id} />
          {owned && <InviteCard contextId={props.id} owned={owned} onInvited={identities.reload} />}
          {owned && <OpenInvitationsCard contextId={props.id} owned={owned} />}
          <ProposalsCard contextId={props.id} />
        </div>
      )}
    </div>
  );
}
