/** JSON-RPC console: call a method of a context (`POST /jsonrpc`, method `execute`) and see the output. */
import { useEffect, useState } from 'preact/hooks';
import { client, RpcError } from '../lib/api.ts';
import { hub } from '../lib/events.ts';
import { shortId } from '../lib/format.ts';
import { navigate, useRoute } from '../lib/router.ts';
import { Card, ErrorBox, Field, Link, PageHead, useAction, useAsync, val } from '../components/ui.tsx';
import { EventRow, useHub } from './events.tsx';

interface Call {
  n: number;
  at: number;
  method: string;
  contextId: string;
  request: unknown;
  /** `result.output` on success. */
  output?: unknown;
  /** The JSON-RPC `error` object (HTTP 200) on failure. */
  rpcError?: { type: string; data?: unknown };
  ms: number;
}

function pretty(v: unknown): string {
  return v === undefined ? 'undefined' : JSON.stringify(v, null, 2);
}

export function ConsolePage() {
  const route = useRoute();
  const contexts = useAsync(() => client.listContexts());
  const [contextId, setContextId] = useState(route.query.get('context') ?? '');
  const [executor, setExecutor] = useState('');
  const [method, setMethod] = useState(route.query.get('method') ?? '');
  const [args, setArgs] = useState('{}');
  const [calls, setCalls] = useState<Call[]>([]);
  const action = useAction();
  const snap = useHub();

  useEffect(() => {
    if (!contextId && contexts.data?.length) setContextId(contexts.data[0]!.id);
  }, [contexts.data]);

  const owned = useAsync(async (): Promise<string[]> => (contextId ? client.identitiesOwned(contextId) : []), [contextId]);
  useEffect(() => {
    if (owned.data && !owned.data.includes(executor)) setExecutor(owned.data[0] ?? '');
  }, [owned.data]);

  const submit = async (e: Event) => {
    e.preventDefault();
    await action.run(async () => {
      let argsJson: unknown;
      try {
        argsJson = args.trim() === '' ? null : JSON.parse(args);
      } catch (err) {
        throw new Error(`Arguments are not valid JSON: ${(err as Error).message}`);
      }
      const name = method.trim();
      // What goes to POST /jsonrpc (the client adds the request id).
      const request = { jsonrpc: '2.0', method: 'execute', params: { contextId, method: name, argsJson, executorPublicKey: executor } };
      const started = performance.now();
      const call: Call = { n: calls.length + 1, at: Date.now(), method: name, contextId, request, ms: 0 };
      try {
        call.output = await client.execute(contextId, name, argsJson, executor);
      } catch (err) {
        // A JSON-RPC error object (HTTP 200) is the call's answer; anything else is a transport failure.
        if (!(err instanceof RpcError)) throw err;
        call.rpcError = { type: err.type, data: err.data };
      }
      call.ms = Math.round(performance.now() - started);
      setCalls((c) => [call, ...c].slice(0, 20));
    });
  };

  const last = calls[0];
  const watching = contextId !== '' && snap.subscriptions.includes(contextId);
  const recent = snap.events.filter((e) => e.contextId === contextId).slice(0, 5);

  return (
    <div class="page">
      <PageHead title="JSON-RPC console" subtitle="Call a method of a context as one of its members on this node." />
      <div class="grid grid-wide">
        <Card title="Call" testid="console-card">
          <form class="form" onSubmit={submit} data-testid="console-form">
            <Field id="rpc-context" label="Context">
              {(contexts.loading && !contexts.data) || contexts.data?.length ? (
                <select id="rpc-context" data-testid="rpc-context" value={contextId} onChange={(e) => setContextId(val(e))} disabled={!contexts.data}>
                  {!contexts.data && !contextId && <option value="">Loading…</option>}
                  {!contexts.data?.some((c) => c.id === contextId) && contextId && <option value={contextId}>{contextId}</option>}
                  {contexts.data?.map((c) => (
                    <option key={c.id} value={c.id}>
                      {c.id}
                    </option>
                  ))}
                </select>
              ) : (
                <input id="rpc-context" data-testid="rpc-context" required value={contextId} onInput={(e) => setContextId(val(e))} placeholder="context id" spellcheck={false} />
              )}
            </Field>
            <Field id="rpc-executor" label="Executor (member public key)" hint="Identities of the context whose private key is on this node.">
              {owned.data && owned.data.length ? (
                <select id="rpc-executor" data-testid="rpc-executor" value={executor} onChange={(e) => setExecutor(val(e))}>
                  {owned.data.map((pk) => (
                    <option key={pk} value={pk}>
                      {pk}
                    </option>
                  ))}
                </select>
              ) : (
                <input id="rpc-executor" data-testid="rpc-executor" required value={executor} onInput={(e) => setExecutor(val(e))} placeholder={owned.loading ? 'loading…' : 'public key'} spellcheck={false} />
              )}
            </Field>
            {owned.error ? <ErrorBox error={owned.error} title="Cannot list the context's identities" /> : null}
            <Field id="rpc-method" label="Method">
              <input id="rpc-method" data-testid="rpc-method" required value={method} onInput={(e) => setMethod(val(e))} placeholder="set" spellcheck={false} autocomplete="off" />
            </Field>
            <Field id="rpc-args" label="Arguments (JSON)" hint="Sent as argsJson; empty sends null.">
              <textarea id="rpc-args" data-testid="rpc-args" rows={5} class="mono" value={args} onInput={(e) => setArgs(val(e))} spellcheck={false} />
            </Field>
            <div class="form-actions">
              <button type="submit" class="btn btn-primary" disabled={action.busy || !contextId || !method.trim() || !executor} data-testid="rpc-call">
                {action.busy ? 'Calling…' : 'Call'}
              </button>
              {contextId && (
                <button type="button" class="btn" disabled={watching} onClick={() => void hub.watch(contextId)} data-testid="rpc-watch">
                  {watching ? 'Watching events' : 'Watch events'}
                </button>
              )}
            </div>
          </form>
          <ErrorBox error={action.error} testid="rpc-transport-error" title="Call failed" />
        </Card>

        <Card title="Output" testid="output-card">
          {!last ? (
            <p class="muted">The result of the last call shows here.</p>
          ) : last.rpcError ? (
            <div class="error" role="alert" data-testid="rpc-error">
              <div class="error-head">
                <strong>{last.rpcError.type}</strong>
                <span class="muted">
                  {last.method} · {last.ms} ms
                </span>
              </div>
              {last.rpcError.data !== undefined && <pre class="error-message">{typeof last.rpcError.data === 'string' ? last.rpcError.data : pretty(last.rpcError.data)}</pre>}
            </div>
          ) : (
            <>
              <p class="muted">
                <strong>{last.method}</strong> returned in {last.ms} ms:
              </p>
              <pre class="code" data-testid="rpc-output">
                {pretty(last.output)}
              </pre>
            </>
          )}
          {last && (
            <details>
              <summary>Request</summary>
              <pre class="code small">{pretty(last.request)}</pre>
            </details>
          )}
          {watching && (
            <>
              <h3>Recent events of this context</h3>
              {recent.length ? (
                <ol class="events">
                  {recent.map((e) => (
                    <EventRow key={e.seq} e={e} />
                  ))}
                </ol>
              ) : (
                <p class="muted">None yet.</p>
              )}
              <p>
                <Link to={`/events?context=${contextId}`}>All live events →</Link>
              </p>
            </>
          )}
        </Card>
      </div>

      {calls.length > 1 && (
        <Card title="History">
          <ol class="plain history">
            {calls.slice(1).map((c) => (
              <li key={c.n}>
                <button
                  type="button"
                  class="linklike"
                  onClick={() => {
                    setMethod(c.method);
                    setArgs(pretty((c.request as { params: { argsJson: unknown } }).params.argsJson));
                    if (c.contextId !== contextId) navigate(`/console?context=${c.contextId}`, { replace: true });
                    setContextId(c.contextId);
                  }}
                >
                  #{c.n} {c.method}
                </button>{' '}
                <span class="muted">
                  on {shortId(c.contextId)} → {c.rpcError ? `error ${c.rpcError.type}` : 'ok'}
                </span>
              </li>
            ))}
          </ol>
        </Card>
      )}
    </div>
  );
}
