import { defineRoute, type RouteDef } from '../../route.ts';
import { z } from 'zod';
import { WalletError } from '../../../auth/wallet.ts';
import { HttpError, jsonError } from '../../errors.ts';
import { pathId } from '../params.ts';
import { encodeId } from '../../../util/ids.ts';
import { didResponse, emptyResponse } from '../../../wire/admin.ts';
import { ADMIN } from '../../../auth/index.ts';
import { allows } from '../../auth/principal.ts';

/** Wallet errors are `{"error":…}` with their status (400, or 403 for a missing authorisation); anything else propagates. */
async function wallet<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof WalletError) throw jsonError(err.status, err.message);
    throw err;
  }
}

const anyJson = { schema: z.unknown(), errors: 'validated' as const };

/**
 * The seed's wallet login (Admin API before 0.8): challenge, add-client-key (the node's first administrator,
 * or a new wallet authorised by an administrator → root key),
 * root-key, DID document, delete all keys, and a context's client keys. Signatures are verified for NEAR
 * (ed25519, NEP-413 payload) and MetaMask (secp256k1 personal_sign); challenges expire and are single use.
 */
export const walletRoutes: RouteDef[] = [
  defineRoute({
    method: 'POST',
    url: '/admin-api/request-challenge',
    access: 'public',
    body: anyJson,
    handler: ({ node, body }) => wallet(() => node.wallet.requestChallenge(body)),
  }),
  defineRoute({
    method: 'POST',
    url: '/admin-api/add-client-key',
    // Public for the first wallet and for a root wallet's own client keys; a new root wallet on a node that has
    // an administrator needs that administrator's token on this request.
    access: 'optional',
    body: anyJson,
    handler: ({ node, body, principal, auth }) =>
      wallet(() =>
        node.wallet.addClientKey(body, {
          hasAdministrator: () => auth.hasAdministrator(),
          adminAuthorised: allows(principal, ADMIN),
        }),
      ),
  }),
  defineRoute({
    method: 'POST',
    url: '/admin-api/root-key',
    access: 'protected',
    body: anyJson,
    handler: ({ node, body }) => wallet(() => node.wallet.addRootKey(body)),
  }),
  defineRoute({
    method: 'GET',
    url: '/admin-api/did',
    access: 'protected',
    response: didResponse,
    handler: ({ node }) => node.wallet.did(),
  }),
  defineRoute({
    method: 'DELETE',
    url: '/admin-api/did',
    access: 'protected',
    response: emptyResponse,
    async handler({ node }) {
      await node.wallet.keys.clear();
      return { data: null };
    },
  }),
  defineRoute({
    method: 'DELETE',
    url: '/admin-api/identity/keys',
    access: 'protected',
    // Upstream always answered 200 with an empty body; so do we, but only after the keys are really gone.
    async handler({ node, reply }) {
      await node.wallet.keys.clear();
      return reply.code(200).send();
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/admin-api/contexts/:context_id/client-keys',
    access: 'protected',
    async handler({ node, params }) {
      const id = encodeId(pathId(params.context_id));
      if (!(await node.contexts.exists(pathId(params.context_id)))) throw new HttpError(404, 'Context not found');
      return { data: { clientKeys: await node.wallet.keys.listClientKeys(id) } };
    },
  }),
] as RouteDef[];
