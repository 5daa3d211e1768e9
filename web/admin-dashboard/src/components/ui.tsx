/** Small shared UI pieces. */
import type { ComponentChildren, JSX } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, ResponseError } from '../lib/api.ts';
import { href } from '../lib/paths.ts';
import { navigate } from '../lib/router.ts';
import { shortId } from '../lib/format.ts';

export function Link(props: { to: string; children: ComponentChildren; class?: string; testid?: string; 'aria-current'?: 'page' | undefined }) {
  const onClick = (e: MouseEvent) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(props.to);
  };
  return (
    <a href={href(props.to)} onClick={onClick} class={props.class} data-testid={props.testid} aria-current={props['aria-current']}>
      {props.children}
    </a>
  );
}

/** An error as the server gave it: HTTP status, method and path, and the message. */
export function ErrorBox(props: { error: unknown; testid?: string; title?: string }) {
  const e = props.error;
  if (!e) return null;
  const api = e instanceof ApiError ? e : null;
  const where = api ?? (e instanceof ResponseError && e.method ? e : null);
  return (
    <div class="error" role="alert" data-testid={props.testid ?? 'error'}>
      <div class="error-head">
        <strong>{props.title ?? 'Error'}</strong>
        {api && api.status > 0 && <span class="badge badge-danger" data-testid="error-status">HTTP {api.status}</span>}
        {where && (
          <code class="error-where">
            {where.method} {where.path}
          </code>
        )}
      </div>
      <pre class="error-message" data-testid="error-message">
        {api ? api.serverMessage : e instanceof Error ? e.message : String(e)}
      </pre>
    </div>
  );
}

export interface Async<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Runs `fn` on mount and whenever `deps` change; `reload()` runs it again. */
export function useAsync<T>(fn: () => Promise<T>, deps: unknown[] = []): Async<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({ data: undefined, error: null, loading: true });
  const [tick, setTick] = useState(0);
  const gen = useRef(0);
  useEffect(() => {
    const mine = ++gen.current;
    setState((s) => ({ ...s, loading: true }));
    fn().then(
      (data) => mine === gen.current && setState({ data, error: null, loading: false }),
      (error: unknown) => mine === gen.current && setState((s) => ({ data: s.data, error, loading: false })),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

/** A form action with busy state and error: `run(async () => …)`. */
export function useAction(): { busy: boolean; error: unknown; run: <T>(fn: () => Promise<T>) => Promise<T | undefined>; clear: () => void } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = useCallback(async <T,>(fn: () => Promise<T>) => {
    setBusy(true);
    setError(null);
    try {
      return await fn();
    } catch (err) {
      setError(err);
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run, clear: () => setError(null) };
}

/** A destructive button that asks "Confirm?" in place before acting (no blocking browser dialog). */
export function ConfirmButton(props: {
  label: string;
  confirmLabel?: string;
  onConfirm: () => void | Promise<void>;
  disabled?: boolean;
  testid?: string;
  small?: boolean;
}) {
  const [asking, setAsking] = useState(false);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => () => void (timer.current && clearTimeout(timer.current)), []);
  const cls = `btn btn-danger${props.small ? ' btn-small' : ''}`;
  if (!asking) {
    return (
      <button
        type="button"
        class={cls}
        disabled={props.disabled}
        data-testid={props.testid}
        onClick={() => {
          setAsking(true);
          timer.current = setTimeout(() => setAsking(false), 8000);
        }}
      >
        {props.label}
      </button>
    );
  }
  return (
    <span class="confirm">
      <button
        type="button"
        class={`${cls} btn-solid`}
        data-testid={props.testid ? `${props.testid}-confirm` : undefined}
        onClick={() => {
          setAsking(false);
          void props.onConfirm();
        }}
      >
        {props.confirmLabel ?? `Yes, ${props.label.toLowerCase()}`}
      </button>
      <button type="button" class={`btn${props.small ? ' btn-small' : ''}`} onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}

/** A long id in monospace that wraps, with a copy button. */
export function Id(props: { value: string; testid?: string; short?: boolean }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.value);
      setCopied(true);
      setTimeout(() => setCopied(false), 1200);
    } catch {
      /* clipboard unavailable (http, permissions) */
    }
  };
  return (
    <span class="id">
      <code data-testid={props.testid} title={props.value} class={props.short ? 'nowrap' : undefined}>
        {props.short ? `${props.value.slice(0, 8)}…${props.value.slice(-6)}` : props.value}
      </code>
      <button type="button" class="copy" onClick={copy} aria-label={`Copy ${props.value}`} title="Copy">
        {copied ? (
          <svg viewBox="0 0 16 16" aria-hidden="true">
            <path d="M3 8.5l3 3 7-7" fill="none" stroke="currentColor" stroke-width="2" />
          </svg>
        ) : (
          <svg viewBox="0 0 16 16" aria-hidden="true">
            <rect x="5" y="5" width="9" height="9" rx="1.5" fill="none" stroke="currentColor" stroke-width="1.5" />
            <path d="M11 5V3.5A1.5 1.5 0 0 0 9.5 2h-6A1.5 1.5 0 0 0 2 3.5v6A1.5 1.5 0 0 0 3.5 11H5" fill="none" stroke="currentColor" stroke-width="1.5" />
          </svg>
        )}
      </button>
    </span>
  );
}

export function Card(props: { title?: ComponentChildren; children: ComponentChildren; actions?: ComponentChildren; testid?: string; class?: string }) {
  return (
    <section class={`card ${props.class ?? ''}`} data-testid={props.testid}>
      {(props.title || props.actions) && (
        <header class="card-head">
          {props.title && <h2>{props.title}</h2>}
          {props.actions && <div class="card-actions">{props.actions}</div>}
        </header>
      )}
      {props.children}
    </section>
  );
}

export function PageHead(props: { title: string; subtitle?: ComponentChildren; actions?: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  // Move focus to the page title on navigation so screen readers announce the new page.
  useEffect(() => ref.current?.focus({ preventScroll: true }), [props.title]);
  return (
    <header class="page-head">
      <div>
        <h1 tabIndex={-1} ref={ref}>
          {props.title}
        </h1>
        {props.subtitle && <p class="subtitle">{props.subtitle}</p>}
      </div>
      {props.actions && <div class="page-actions">{props.actions}</div>}
    </header>
  );
}

export function Loading(props: { what?: string }) {
  return (
    <p class="muted" role="status">
      Loading{props.what ? ` ${props.what}` : ''}…
    </p>
  );
}

export function Empty(props: { children: ComponentChildren }) {
  return <p class="empty">{props.children}</p>;
}

export function Field(props: { label: string; hint?: ComponentChildren; children: ComponentChildren; id: string }) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {props.children}
      {props.hint && (
        <small class="hint" id={`${props.id}-hint`}>
          {props.hint}
        </small>
      )}
    </div>
  );
}

/** Which of the context's owned members acts (shown only when there is a choice). */
export function MemberSelect(props: { id: string; label: string; members: string[]; value: string; onChange: (pk: string) => void }) {
  if (props.members.length < 2) return null;
  return (
    <Field id={props.id} label={props.label}>
      <select id={props.id} value={props.value} onChange={(e) => props.onChange(val(e))}>
        {props.members.map((pk) => (
          <option key={pk} value={pk}>
            {shortId(pk)}
          </option>
        ))}
      </select>
    </Field>
  );
}

export function Success(props: { children: ComponentChildren; testid?: string }) {
  return (
    <div class="success" role="status" data-testid={props.testid}>
      {props.children}
    </div>
  );
}

export function RefreshButton(props: { onClick: () => void; loading?: boolean }) {
  return (
    <button type="button" class="btn btn-small" onClick={props.onClick} disabled={props.loading} aria-label="Refresh">
      {props.loading ? 'Loading…' : 'Refresh'}
    </button>
  );
}

export type InputEvent = JSX.TargetedEvent<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement, Event>;
export const val = (e: InputEvent) => e.currentTarget.value;
