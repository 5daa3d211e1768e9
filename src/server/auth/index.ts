import type { FastifyInstance } from 'fastify';
import type { Node } from '../../node/node.ts';
import type { Guard } from '../route.ts';
import { embeddedAuth } from './embedded.ts';
import { proxyAuth } from './proxy.ts';
import { walletHeaderAuth } from '../admin/wallet/header-auth.ts';

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
  let setup: AuthSetup;
  if (server.auth_mode === 'embedded') setup = await embeddedAuth(node);
  else if (server.proxy_auth?.url) setup = proxyAuth(node, server.proxy_auth.url);
  else return { plugins: [] };
  // The seed's wallet headers are accepted as an alternative to a JWT wherever auth is enforced.
  const jwtGuard = setup.guard!;
  return {
    ...setup,
    guard: async (req) => ((await walletHeaderAuth(req, node.wallet)) ? null : jwtGuard(req)),
  };
}
