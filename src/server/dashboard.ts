import type { FastifyInstance, FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';
import { readFile, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where `npm run build:web` (web/admin-dashboard/build.ts) writes the SPA. */
export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../build/admin-dashboard', import.meta.url));

export interface DashboardOptions {
  /** Directory with index.html, app.js, app.css; default `$CALIMERO_WEBUI_PATH` or build/admin-dashboard. */
  dir?: string;
  /** Mount path; default `/admin-dashboard` (give `NODE_PATH_PREFIX + '/admin-dashboard'` for a prefixed node). */
  prefix?: string;
  /**
   * `Content-Security-Policy` of `index.html` (`[server.admin] dashboard_csp`): a policy to send, `''` for none.
   * Absent: {@link OWN_DASHBOARD_CSP} for our own build, none for any other dashboard (see {@link dashboardCsp}).
   */
  csp?: string;
}

const MOUNT = '/admin-dashboard';

/** Our own SPA refers to its assets as `/admin-dashboard/…`; the only script and style it loads are its own. */
export const OWN_DASHBOARD_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/** How our build (web/admin-dashboard/index.html) names itself; other dashboards do not carry it. */
const OWN_BUILD_MARKER = /<meta\s+name="generator"\s+content="merod-ts admin-dashboard"/;

/**
 * The policy `index.html` is sent with: the configured one (`''` = none), else the strict one when the page is
 * our own build, else none. A dashboard the user supplies (upstream's, through `CALIMERO_WEBUI_PATH`) may run an
 * inline boot script and inject styles at run time; a policy we cannot know would blank it, and upstream sends none.
 */
export function dashboardCsp(html: string, configured?: string): string | undefined {
  if (configured !== undefined) return configured.trim() || undefined;
  return OWN_BUILD_MARKER.test(html) ? OWN_DASHBOARD_CSP : undefined;
}

const HTML_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-cache',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
};

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Admin Dashboard not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem">
<h1>The Admin Dashboard is not built</h1>
<p>This node serves the dashboard from <code>DIR</code>, which has no <code>index.html</code>.
Run <code>npm run build:web</code> (or <code>npm run build</code>) in the merod-ts checkout, or set
<code>CALIMERO_WEBUI_PATH</code> to a built dashboard.</p>
<p>The Admin API itself works: <a href="PREFIX_API/admin-api/health">/admin-api/health</a>.</p>
</body></html>
`;

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Serves the Admin Dashboard SPA (upstream: `nest_service("/admin-dashboard", …)` over rust-embed):
 * - `<prefix>` redirects to `<prefix>/` (query kept);
 * - `<prefix>/<file>` serves the file when it exists (ETag/Last-Modified, `cache-control: no-cache`);
 * - any other path under the prefix is a deep link into the SPA and gets `index.html` — except paths that
 *   look like a missing asset (last segment with a file extension), which are 404, so a stale `app.js`
 *   reference never receives HTML;
 * - without a build, a 404 page that says how to build it.
 * Public in every auth mode (as upstream); the SPA signs in through `/auth/login` itself.
 */
export async function registerDashboard(app: FastifyInstance, opts: DashboardOptions = {}): Promise<void> {
  const dir = resolve(opts.dir ?? process.env.CALIMERO_WEBUI_PATH ?? DEFAULT_DASHBOARD_DIR);
  let prefix = opts.prefix ?? MOUNT;
  if (!prefix.startsWith('/')) prefix = `/${prefix}`;
  prefix = prefix.replace(/\/+$/, '');
  // `NODE_PATH_PREFIX` in front of /admin-dashboard also applies to the Admin API links.
  const pathPrefix = prefix.endsWith(MOUNT) ? prefix.slice(0, -MOUNT.length) : '';

  const sendIndex = async (reply: FastifyReply) => {
    let html: string;
    try {
      html = await readFile(join(dir, 'index.html'), 'utf8');
    } catch {
      const page = NOT_BUILT.replace('DIR', escapeHtml(dir)).replace('PREFIX_API', escapeHtml(pathPrefix));
      return reply.code(404).headers({ 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' }).send(page);
    }
    const csp = dashboardCsp(html, opts.csp);
    if (prefix !== MOUNT) html = html.replaceAll(`${MOUNT}/`, `${prefix}/`);
    reply.code(200).headers(HTML_HEADERS);
    if (csp) reply.header('content-security-policy', csp);
    return reply.send(html);
  };

  await app.register(async (sub) => {
    // Encapsulated: reply.sendFile stays private to these routes (no clash with other static plugins).
    await sub.register(fastifyStatic, { root: dir, serve: false, decorateReply: true });

    sub.get(prefix, async (req, reply) => {
      const q = req.url.indexOf('?');
      return reply.redirect(`${prefix}/${q >= 0 ? req.url.slice(q) : ''}`, 302);
    });

    sub.get(`${prefix}/*`, async (req, reply) => {
      const rel = (req.params as { '*'?: string })['*'] ?? '';
      if (rel === '' || rel === 'index.html') return sendIndex(reply);
      const full = resolve(dir, rel);
      if (full.startsWith(dir + sep)) {
        const st = await stat(full).catch(() => null);
        if (st?.isFile()) {
          reply.header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff');
          return reply.sendFile(rel, dir, { cacheControl: false, dotfiles: 'deny' });
        }
      }
      const last = rel.split('/').pop() ?? '';
      if (/\.[A-Za-z0-9]{1,8}$/.test(last)) return reply.code(404).type('text/plain; charset=utf-8').send('Not found');
      return sendIndex(reply);
    });
  });
}
