/** A tiny History-API router under the dashboard's base path (deep links are served index.html by the node). */
import { useEffect, useState } from 'preact/hooks';
import { appPath, href } from './paths.ts';

export interface Route {
  path: string;
  query: URLSearchParams;
}

function current(): Route {
  return { path: appPath(), query: new URLSearchParams(window.location.search) };
}

const listeners = new Set<() => void>();
window.addEventListener('popstate', () => listeners.forEach((l) => l()));

export function navigate(to: string, o: { replace?: boolean } = {}): void {
  const url = href(to);
  if (o.replace) window.history.replaceState(null, '', url);
  else window.history.pushState(null, '', url);
  listeners.forEach((l) => l());
}

export function useRoute(): Route {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const l = () => setRoute(current());
    listeners.add(l);
    return () => listeners.delete(l);
  }, []);
  return route;
}

/** Matches `/contexts/:id` style patterns; returns the params or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/').filter(Boolean);
  const s = path.split('/').filter(Boolean);
  if (p.length !== s.length) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i]!.startsWith(':')) out[p[i]!.slice(1)] = decodeURIComponent(s[i]!);
    else if (p[i] !== s[i]) return null;
  }
  return out;
}
