import type { FastifyRequest } from 'fastify';
import { decodeId } from '../../../util/ids.ts';

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/** `host[:port]` as URL.host writes it (lower case, default port dropped), or null. */
function hostOf(text: string, scheme = 'http:'): string | null {
  try {
    return new URL(`${scheme}//${text}`).host;
  } catch {
    return null;
  }
}

/**
 * The blob id when `url` is this node's own blob route (`http(s)://<this node>/admin-api/blobs/<id>`), else
 * null. "This node" is the host the request came in on (the `Host` header: what a browser on the dashboard
 * used), one of the server's listen URLs (`urls`), or a loopback name with one of their ports.
 *
 * The dashboard installs an uploaded file this way (upload a blob, then install-application with the blob's
 * URL, as upstream's dashboard does). Downloading that URL over HTTP would need a token the node does not
 * have (401 with auth), so the install reads the blob store instead. It gives the caller nothing new: the
 * route is protected, and the same caller may read the blob with `GET /admin-api/blobs/:id`.
 */
export function ownBlobId(url: string, urls: readonly string[], req: FastifyRequest): Uint8Array | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
  const prefix = process.env.NODE_PATH_PREFIX ?? '';
  let path = u.pathname;
  if (prefix && path.startsWith(`${prefix}/`)) path = path.slice(prefix.length);
  const m = /^\/admin-api\/blobs\/([^/]+)\/?$/.exec(path);
  if (!m) return null;
  let id: Uint8Array;
  try {
    id = decodeId(decodeURIComponent(m[1]!));
  } catch {
    return null;
  }
  const own = new Set<string>();
  const requestHost = req.headers.host ? hostOf(req.headers.host, u.protocol) : null;
  if (requestHost) own.add(requestHost);
  const ports = new Set<string>();
  for (const listen of urls) {
    try {
      const l = new URL(listen);
      own.add(l.host);
      ports.add(l.port);
    } catch {
      /* not a URL */
    }
  }
  if (own.has(u.host)) return id;
  if (LOOPBACK.test(u.hostname) && ports.has(u.port)) return id;
  return null;
}
