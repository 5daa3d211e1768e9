import type { FastifyInstance } from 'fastify';
import type { Node } from '../../node/node.ts';
import type { Guard } from '../route.ts';
import { embeddedAuth } from './embedded.ts';
import { proxyAuth } from './proxy.ts';

export interface AuthSetup {
  /** Absent when nothing is enforced inside the node (proxy mode without an auth URL, as upstream). */
  guard?: Guard;
  plugins: Array<(app: FastifyInstance) => Promise<void> | void>;
}

/**
 * The node's two auth modes (server-api §10):
 * - embedded: mero-auth runs inside the node (`/auth`, `/admin`), protected routes need its JWT;
 * - proxy: an external mero-auth. With `[server.proxy_auth] url` set, the node forwards `/auth` and `/admin`
 *   to it and asks its `/auth/validate` about every protected request (secure without a reverse proxy, and
 *   still correct behind one); without it, the node trusts its reverse proxy and enforces nothing, as upstream.
 */
export async function setupAuth(node: Node): Promise<AuthSetup> {
  const server = node.config.server;
  if (server.auth_mode === 'embedded') return embeddedAuth(node);
  if (server.proxy_auth?.url) return proxyAuth(node, server.proxy_auth.url);
  return { plugins: [] };
}
