import type { Handler } from '../../handler.ts';
import type { Services } from '../../services.ts';
import type { walletRoutes } from '../../../wire/routes/wallet.ts';
import { HttpError } from '../../errors.ts';
import { pathId } from '../params.ts';
import { encodeId } from '../../../util/ids.ts';
import { ADMIN } from '../../../wire/permission.ts';
import { allows } from '../../auth/principal.ts';

type R = typeof walletRoutes;
type W = Pick<Services, 'wallet'>;

/**
 * The seed's wallet login (Admin API before 0.8): challenge, add-client-key (the node's first administrator,
 * or a new wallet authorised by an administrator → root key), root-key, DID document, delete all keys, and a
 * context's client keys. Signatures are verified for NEAR (ed25519, NEP-413 payload) and MetaMask (secp256k1
 * personal_sign); challenges expire and are single use. Wallet errors are mapped in src/server/errors.ts.
 */
export const requestChallenge = (s: W): Handler<R['requestChallenge']> => ({ body }) => s.wallet.requestChallenge(body);

export const addClientKey =
  (s: W & Pick<Services, 'auth'>): Handler<R['addClientKey']> =>
  ({ body, principal }) =>
    s.wallet.addClientKey(body, { hasAdministrator: () => s.auth.hasAdministrator(), adminAuthorised: allows(principal, ADMIN) });

export const addRootKey = (s: W): Handler<R['addRootKey']> => ({ body }) => s.wallet.addRootKey(body);

export const did = (s: W): Handler<R['did']> => () => s.wallet.did();

export const deleteDid =
  (s: W): Handler<R['deleteDid']> =>
  async () => {
    await s.wallet.keys.clear();
    return { data: null };
  };

/** Upstream always answered 200 with an empty body; so do we, but only after the keys are really gone. */
export const deleteWalletKeys =
  (s: W): Handler<R['deleteWalletKeys']> =>
  async ({ reply }) => {
    await s.wallet.keys.clear();
    return reply.code(200).send();
  };

export const contextClientKeys =
  (s: W & Pick<Services, 'contexts'>): Handler<R['contextClientKeys']> =>
  async ({ params }) => {
    const id = encodeId(pathId(params.context_id));
    if (!(await s.contexts.exists(pathId(params.context_id)))) throw new HttpError(404, 'Context not found');
    return { data: { clientKeys: await s.wallet.keys.listClientKeys(id) } };
  };
