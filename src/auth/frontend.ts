import { readFile, stat } from 'node:fs/promises';
import { extname, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Our own login page (web/auth-login), unless `CALIMERO_AUTH_FRONTEND_PATH` names a prebuilt directory. */
export function defaultFrontendDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.CALIMERO_AUTH_FRONTEND_PATH;
  if (fromEnv && fromEnv.trim()) return resolve(fromEnv);
  return fileURLToPath(new URL('../../web/auth-login/', import.meta.url));
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

export const NO_CACHE_HEADERS = {
  'cache-control': 'no-cache, no-store, must-revalidate',
  pragma: 'no-cache',
  expires: '0',
} as const;

export interface StaticFile {
  body: Buffer;
  contentType: string;
}

/** Reads `rel` inside `dir`; null if missing, a directory, or outside `dir` (no `..` escapes). */
export async function readStatic(dir: string, rel: string): Promise<StaticFile | null> {
  const root = resolve(dir);
  let decoded: string;
  try {
    decoded = decodeURIComponent(rel);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const full = resolve(root, normalize(decoded.replace(/^\/+/, '')));
  if (full !== root && !full.startsWith(root + sep)) return null;
  try {
    const st = await stat(full);
    if (!st.isFile()) return null;
    return {
      body: await readFile(full),
      contentType: MIME[extname(full).toLowerCase()] ?? 'application/octet-stream',
    };
  } catch {
    return null;
  }
}

/** Like upstream's embedded UI: the file if present, else index.html (SPA fallback), else null. */
export async function readWithFallback(dir: string, rel: string): Promise<StaticFile | null> {
  return (await readStatic(dir, rel)) ?? (await readStatic(dir, 'index.html'));
}

export const NO_PROVIDER_HTML =
  '<html><body><h1>No authentication provider is available</h1></body></html>';
