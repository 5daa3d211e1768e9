/** Live events of contexts over SSE. The stream keeps recording while you use other pages. */
import { useEffect, useState } from 'preact/hooks';
import { client } from '../lib/api.ts';
import { hub, type HubSnapshot, type LiveEvent } from '../lib/events.ts';
import { decodeBytes, decodedText, shortId } from '../lib/format.ts';
import { useRoute } from '../lib/router.ts';
import { Card, Empty, ErrorBox, Field, Id, Link, PageHead, useAction, useAsync, val } from '../components/ui.tsx';

export function useHub(): HubSnapshot {
  const [s, setS] = useState(hub.get());
  useEffect(() => hub.subscribeListener(() => setS(hub.get())), []);
  return s;
}

const STATUS_TEXT: Record<HubSnapshot['status'], string> = {
  idle: 'not connected',
  connecting: 'connecting…',
  open: 'connected',
  retrying: 'reconnecting…',
  closed: 'disconnected',
};

export function EventRow(props: { e: LiveEvent }) {
  const { e } = props;
  return (
    <li class="event" data-testid="event-row" data-context-id={e.contextId}>
      <div class="event-head">
        <span class="badge">{e.type}</span>
        <time dateTime={new Date(e.receivedAt).toISOString()}>{new Date(e.receivedAt).toLocaleTimeString()}</time>
        <span class="muted">
          context{' '}
          <Link to={`/contexts/${e.contextId}`}>
            <code>{shortId(e.contextId)}</code>
          </Link>
        </span>
        <span class="muted">
          new root <code>{shortId(e.newRoot)}</code>
        </span>
        {e.id && <span class="muted">id {e.id}</span>}
      </div>
      {e.events.length ? (
        <ul class="plain event-list">
          {e.events.map((x, i) => {
            const d = decodeBytes(x.data);
            return (
              <li key={i} data-testid="event-item">
                <strong data-testid="event-kind">{x.kind}</strong>
                {x.handler && <span class="muted"> → handler {x.handler}</span>}
                <pre class="code small" data-testid="event-data">
                  {decodedText(d)}
                </pre>
              </li>
            );
          })}
        </ul>
      ) : (
        <p class="muted">State changed; no application events.</p>
      )}
    </li>
  );
}

export function EventsPage() {
  const route = useRoute();
  const snap = useHub();
  const contexts = useAsync(() => client.listContexts());
  const [choice, setChoice] = useState(route.query.get('context') ?? '');
  const [filter, setFilter] = useState<'all' | string>('all');
  const action = useAction();

  // A deep link `?context=<id>` subscribes right away.
  useEffect(() => {
    const ctx = route.query.get('context');
    if (ctx && !hub.get().subscriptions.includes(ctx)) void action.run(() => hub.watch(ctx));
  }, [route.query.get('context')]);

  useEffect(() => {
    if (!choice && contexts.data?.length) setChoice(contexts.data[0]!.id);
  }, [contexts.data]);

  const shown = filter === 'all' ? snap.events : snap.events.filter((e) => e.contextId === filter);

  return (
    <div class="page">
      <PageHead title="Live events" subtitle="State changes and application events of the contexts you watch (server-sent events)." />
      <Card
        title="Stream"
        testid="sse-card"
        actions={
          <span class={`status status-${snap.status}`} data-testid="sse-status" data-status={snap.status}>
            {STATUS_TEXT[snap.status]}
          </span>
        }
      >
        <form
          class="form inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (choice) void action.run(() => hub.watch(choice));
          }}
        >
          <Field id="events-context" label="Context">
            {contexts.data && contexts.data.length ? (
              <select id="events-context" data-testid="events-context" value={choice} onChange={(e) => setChoice(val(e))}>
                {contexts.data.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.id}
                  </option>
                ))}
              </select>
            ) : (
              <input id="events-context" data-testid="events-context" value={choice} onInput={(e) => setChoice(val(e))} placeholder="context id" spellcheck={false} />
            )}
          </Field>
          <div class="form-actions">
            <button type="submit" class="btn btn-primary" disabled={!choice || snap.subscriptions.includes(choice)} data-testid="events-watch">
              {snap.subscriptions.includes(choice) ? 'Watching' : 'Watch'}
            </button>
          </div>
        </form>
        <ErrorBox error={action.error} />
        <ErrorBox error={snap.error} title="Stream error" testid="sse-error" />
        {contexts.error ? <ErrorBox error={contexts.error} /> : null}
        <dl class="props">
          <dt>Session</dt>
          <dd data-testid="sse-session">{snap.sessionId ?? '—'}</dd>
          <dt>Watching</dt>
          <dd>
            {snap.subscriptions.length ? (
              <ul class="plain" data-testid="sse-subscriptions">
                {snap.subscriptions.map((c) => (
                  <li key={c} data-testid="sse-subscription" data-context-id={c} data-confirmed={String(snap.confirmed.includes(c))}>
                    <Id value={c} short /> {snap.confirmed.includes(c) ? <span class="badge badge-ok">live</span> : <span class="badge badge-muted">pending</span>}{' '}
                    <button type="button" class="btn btn-small" onClick={() => void action.run(() => hub.unwatch(c))}>
                      Stop
                    </button>
                  </li>
                ))}
              </ul>
            ) : (
              <span class="muted">nothing yet</span>
            )}
          </dd>
        </dl>
        <div class="toolbar">
          {snap.status === 'open' || snap.status === 'connecting' || snap.status === 'retrying' ? (
            <button type="button" class="btn btn-small" onClick={() => hub.stop()}>
              Disconnect
            </button>
          ) : (
            <button type="button" class="btn btn-small" onClick={() => hub.connect()} data-testid="sse-connect">
              Connect
            </button>
          )}
        </div>
      </Card>

      <Card
        title={`Events (${shown.length})`}
        testid="events-card"
        actions={
          <>
            <label class="inline-label" for="events-filter">
              Show
            </label>
            <select id="events-filter" value={filter} onChange={(e) => setFilter(val(e))}>
              <option value="all">all contexts</option>
              {snap.subscriptions.map((c) => (
                <option key={c} value={c}>
                  {shortId(c)}
                </option>
              ))}
            </select>
            <button type="button" class="btn btn-small" onClick={() => hub.clear()}>
              Clear
            </button>
          </>
        }
      >
        <div aria-live="polite">
          {shown.length ? (
            <ol class="events" data-testid="events-list">
              {shown.map((e) => (
                <EventRow key={e.seq} e={e} />
              ))}
            </ol>
          ) : (
            <Empty>
              No events yet. Call a method that changes state in the <Link to={choice ? `/console?context=${choice}` : '/console'}>JSON-RPC console</Link>; events appear here as they happen.
            </Empty>
          )}
        </div>
        {snap.notices.length > 0 && (
          <details class="notices">
            <summary>Stream log ({snap.notices.length})</summary>
            <ul class="plain small">
              {snap.notices.map((n, i) => (
                <li key={i}>{n}</li>
              ))}
            </ul>
          </details>
        )}
      </Card>
    </div>
  );
}
