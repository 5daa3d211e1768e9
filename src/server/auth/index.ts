import type { Node } from '../../node/node.ts';
import { embeddedAuth } from './embedded.ts';
import { proxyAuth } from './proxy.ts';
import { walletHeaderAuth } from '../admin/wallet/header-auth.ts';
import type { AuthSetup } from './setup.ts';

export type { AuthSetup } from './setup.ts';

/**
 * The node's two auth modes:
 * - embedded: mero-auth runs inside the node (`/auth`, `/admin`), protected routes need its JWT;
 * - proxy: an external mero-auth. With `[server.proxy_auth] url` set, the node forwards `/auth` and `/admin`
 *   to it and asks its `/auth/validate` about every protected request (secure without a reverse proxy, and
 *   still correct behind one); without it, the node trusts its reverse proxy and enforces nothing, as upstream.
 * Where auth is enforced, the seed's wallet headers are a second credential: they carry exactly the
 * permissions of the wallet key that signed them (see docs/security.md).
 */
export async function setupAuth(node: Node): Promise<AuthSetup> {
  const server = node.config.server;
  let setup: AuthSetup;
  if (server.auth_mode === 'embedded') setup = await embeddedAuth(node);
  else if (server.proxy_auth?.url) setup = proxyAuth(node, server.proxy_auth.url);
  else return { plugins: [], hasAdministrator: () => node.wallet.keys.hasRootKeys() };
  const jwtGuard = setup.guard!;
  const own = setup.hasAdministrator ?? (async () => false);
  const inner = setup.onCredentialsChanged;
  return {
    ...setup,
    async guard(req, opts) {
      const wallet = await walletHeaderAuth(req, node.wallet);
      return wallet ? { ok: true, principal: wallet } : jwtGuard(req, opts);
    },
    hasAdministrator: async () => (await own()) || (await node.wallet.keys.hasRootKeys()),
    onCredentialsChanged(listener) {
      const offs = [node.wallet.keys.onChange(listener), inner?.(listener)];
      return () => offs.forEach((off) => off?.());
    },
  };
}
