/**
 * Where things are. The dashboard lives at `<prefix>/admin-dashboard/`; upstream prepends `NODE_PATH_PREFIX`
 * to `/admin-api`, `/admin-dashboard`, `/jsonrpc` and `/ws` only — never to `/sse`, `/auth`, `/admin`.
 */
const MOUNT = '/admin-dashboard';

function detectPrefix(): string {
  const path = window.location.pathname;
  const at = path.indexOf(MOUNT);
  return at > 0 ? path.slice(0, at) : '';
}

export const PREFIX = detectPrefix();
/** The SPA's base path, e.g. `/admin-dashboard`. */
export const BASE = PREFIX + MOUNT;

/** URL of a route that never carries the prefix (`/auth/…`, `/admin/…`, `/sse…`). */
export function authUrl(path: string): string {
  return path;
}

/** In-app path (`/contexts/x`) → browser path (`/admin-dashboard/contexts/x`). */
export function href(path: string): string {
  return BASE + (path === '/' ? '/' : path);
}

/** Browser path → in-app path. */
export function appPath(pathname = window.location.pathname): string {
  if (!pathname.startsWith(BASE)) return '/';
  const rest = pathname.slice(BASE.length);
  return rest === '' ? '/' : rest;
}
