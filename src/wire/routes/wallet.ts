import { z } from 'zod';
import { route } from '../../http/route.ts';
import { didResponse, emptyResponse } from '../admin.ts';

/** The wallet routes take any JSON and check it themselves (mero-auth's untyped shapes of the seed). */
const anyJson = { schema: z.unknown(), errors: 'validated' } as const;

/**
 * The seed's wallet login (Admin API before 0.8): challenge, add-client-key, root-key, DID document, delete all
 * keys, and a context's client keys.
 */
export const walletRoutes = {
  requestChallenge: route({ method: 'POST', url: '/admin-api/request-challenge', access: 'public', body: anyJson }),
  /**
   * Public for the first wallet and for a root wallet's own client keys; a new root wallet on a node that has an
   * administrator needs that administrator's token on this request.
   */
  addClientKey: route({ method: 'POST', url: '/admin-api/add-client-key', access: 'optional', body: anyJson }),
  addRootKey: route({ method: 'POST', url: '/admin-api/root-key', access: 'protected', body: anyJson }),
  did: route({ method: 'GET', url: '/admin-api/did', access: 'protected', response: didResponse }),
  deleteDid: route({ method: 'DELETE', url: '/admin-api/did', access: 'protected', response: emptyResponse }),
  /** Upstream always answered 200 with an empty body. */
  deleteWalletKeys: route({ method: 'DELETE', url: '/admin-api/identity/keys', access: 'protected' }),
  contextClientKeys: route({ method: 'GET', url: '/admin-api/contexts/:context_id/client-keys', access: 'protected' }),
};
