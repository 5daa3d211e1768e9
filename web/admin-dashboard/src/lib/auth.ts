/**
 * Tokens and sign-in. The login page at /auth/login (embedded mero-auth, or mero-auth behind the proxy) stores
 * `access-token` / `refresh-token` in localStorage and sends the browser back to `?redirect=`. Without auth the
 * node never answers 401 and none of this is used.
 */
import { authUrl } from './paths.ts';

const ACCESS = 'access-token';
const REFRESH = 'refresh-token';
const REDIRECTED_AT = 'admin-dashboard:login-redirect-at';

function read(key: string): string | null {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null;
  }
}

function write(key: string, value: string | null): void {
  try {
    if (value === null) window.localStorage.removeItem(key);
    else window.localStorage.setItem(key, value);
  } catch {
    /* storage disabled: tokens live only as long as the page */
  }
}

let memory: { access: string | null; refresh: string | null } | null = null;

export function accessToken(): string | null {
  return memory?.access ?? read(ACCESS);
}

export function refreshToken(): string | null {
  return memory?.refresh ?? read(REFRESH);
}

export function setTokens(access: string, refresh: string): void {
  memory = { access, refresh };
  write(ACCESS, access);
  write(REFRESH, refresh);
  notify();
}

export function clearTokens(): void {
  memory = { access: null, refresh: null };
  write(ACCESS, null);
  write(REFRESH, null);
  notify();
}

/** Seconds-since-epoch `exp` of a JWT, or null when it is not a readable JWT. */
export function tokenExpiry(token: string): number | null {
  const part = token.split('.')[1];
  if (!part) return null;
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='));
    const claims = JSON.parse(json) as { exp?: unknown };
    return typeof claims.exp === 'number' ? claims.exp : null;
  } catch {
    return null;
  }
}

/** True when the stored access token has an `exp` in the past (a refresh is due before the next call). */
export function accessTokenExpired(now = Date.now() / 1000): boolean {
  const t = accessToken();
  if (!t) return false;
  const exp = tokenExpiry(t);
  return exp !== null && exp <= now;
}

/** Tokens handed over in the URL (the meroctl-style `callback-url` flow): store them and clean the address bar. */
export function adoptTokensFromUrl(): void {
  const url = new URL(window.location.href);
  const access = url.searchParams.get('access_token');
  const refresh = url.searchParams.get('refresh_token');
  if (!access || !refresh) return;
  setTokens(access, refresh);
  url.searchParams.delete('access_token');
  url.searchParams.delete('refresh_token');
  window.history.replaceState(null, '', url.pathname + url.search + url.hash);
}

export function loginUrl(): string {
  const back = new URL(window.location.href);
  back.searchParams.delete('access_token');
  back.searchParams.delete('refresh_token');
  return `${authUrl('/auth/login')}?redirect=${encodeURIComponent(back.toString())}`;
}

// ---- sign-in state shown by the shell ----------------------------------------------------------------------

export type AuthState =
  | { kind: 'unknown' }
  /** Protected routes answered without a 401: no auth on this node, or a valid token. */
  | { kind: 'ok'; withToken: boolean }
  /** A 401 that a refresh could not fix; `looped` = we came back from the login page and still got one. */
  | { kind: 'required'; looped: boolean };

let state: AuthState = { kind: 'unknown' };
const listeners = new Set<() => void>();

function notify(): void {
  for (const l of listeners) l();
}

export function authState(): AuthState {
  return state;
}

export function onAuthChange(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function markAuthorized(): void {
  // A token the node accepted: the last trip to the login page worked, so the loop guard is reset.
  if (accessToken() && read(REDIRECTED_AT) !== null) write(REDIRECTED_AT, null);
  if (state.kind !== 'ok' || state.withToken !== Boolean(accessToken())) {
    state = { kind: 'ok', withToken: Boolean(accessToken()) };
    notify();
  }
}

/**
 * Called on an unfixable 401: sends the browser to the login page, unless it was sent there less than 30 s ago
 * (then the shell shows a sign-in panel instead of looping).
 */
export function requireLogin(): void {
  if (state.kind === 'required') return;
  const last = Number(read(REDIRECTED_AT) ?? 0);
  const looped = Date.now() - last < 30_000;
  state = { kind: 'required', looped };
  notify();
  if (!looped) goToLogin();
}

export function goToLogin(): void {
  write(REDIRECTED_AT, String(Date.now()));
  window.location.assign(loginUrl());
}

export function signOut(): void {
  clearTokens();
  write(REDIRECTED_AT, null);
  goToLogin();
}
