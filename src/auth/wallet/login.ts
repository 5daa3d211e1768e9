import type { AuthStorage } from '../storage.ts';
import { type NodeChallenge, RequestChallengeSchema, WalletError } from './schemas.ts';
import { CHALLENGE_TTL_SECS, ChallengeStore, type NodeSigner } from './challenge.ts';
import { verifyAddPublicKeyRequest } from './signatures.ts';
import { type Did, WalletKeyStore, type WalletAuthorisation } from './keys.ts';

/** Everything the seed wallet routes need, around one challenge store and one key store. */
export interface WalletLogin {
  challenges: ChallengeStore;
  keys: WalletKeyStore;
  /** `POST /admin-api/request-challenge` → `{"data": NodeChallenge}`. */
  requestChallenge(body: unknown): { data: NodeChallenge };
  /** `POST /admin-api/add-client-key` → `{"data": "Client key stored"}`. Throws {@link WalletError}. */
  addClientKey(body: unknown, auth?: WalletAuthorisation): Promise<{ data: string }>;
  /** `POST /admin-api/root-key` (protected) → `{"data": "Root key stored"}`. Throws {@link WalletError}. */
  addRootKey(body: unknown): Promise<{ data: string }>;
  /** `GET /admin-api/did` → `{"data": {"did": Did}}`. */
  did(): Promise<{ data: { did: Did } }>;
}

export function createWalletLogin(opts: { signer: NodeSigner; storage: AuthStorage; now?: () => number }): WalletLogin {
  const challenges = new ChallengeStore(opts.signer, CHALLENGE_TTL_SECS, opts.now);
  const keys = new WalletKeyStore(opts.storage);
  return {
    challenges,
    keys,
    requestChallenge(body) {
      const r = RequestChallengeSchema.safeParse(body ?? {});
      if (!r.success) throw new WalletError(`Invalid request body: ${r.error.issues.map((i) => i.message).join('; ')}`);
      return { data: challenges.issue(r.data.contextId ?? null) };
    },
    async addClientKey(body, auth = { hasAdministrator: () => keys.hasRootKeys(), adminAuthorised: false }) {
      const v = verifyAddPublicKeyRequest(body, challenges);
      await keys.registerClientKey(v, auth);
      return { data: 'Client key stored' };
    },
    async addRootKey(body) {
      const v = verifyAddPublicKeyRequest(body, challenges);
      await keys.addRootKey(v.verifyingKey, v.wallet, v.walletAddress);
      return { data: 'Root key stored' };
    },
    async did() {
      return { data: { did: await keys.did() } };
    },
  };
}

