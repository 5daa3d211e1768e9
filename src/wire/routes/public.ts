import { route } from '../../http/route.ts';
import {
  healthResponse,
  nodeInfoResponse,
  peersResponse,
  teeAttestRequest,
  teeAttestResponse,
  teeInfoResponse,
  teeVerifyQuoteRequest,
  teeVerifyQuoteResponse,
} from '../admin.ts';

/** Routes anyone may call, and the node's own description. */
export const publicRoutes = {
  health: route({ method: 'GET', url: '/admin-api/health', access: 'public', response: healthResponse }),
  /** Answers 200 itself; behind an auth proxy the proxy's 401 tells a client that auth is required. */
  isAuthed: route({ method: 'GET', url: '/admin-api/is-authed', access: 'public', response: healthResponse }),
  /** The node's self-signed certificate (made at init) as PEM. */
  certificate: route({ method: 'GET', url: '/admin-api/certificate', access: 'public', produces: 'text/plain' }),
  /** Ours: the OpenAPI document of the server (public: it describes the API, it holds no data). */
  openApi: route({ method: 'GET', url: '/admin-api/openapi.json', access: 'public' }),
  /**
   * Upstream's TEE routes (public). This node has no TDX hardware and no quote verifier: after upstream's body
   * checks each answers upstream's error shape saying so (info 500, attest and verify-quote 501).
   */
  teeInfo: route({ method: 'GET', url: '/admin-api/tee/info', access: 'public', response: teeInfoResponse }),
  teeAttest: route({
    method: 'POST',
    url: '/admin-api/tee/attest',
    access: 'public',
    body: { schema: teeAttestRequest, errors: 'validated' },
    response: teeAttestResponse,
  }),
  teeVerifyQuote: route({
    method: 'POST',
    url: '/admin-api/tee/verify-quote',
    access: 'public',
    body: { schema: teeVerifyQuoteRequest, errors: 'validated' },
    response: teeVerifyQuoteResponse,
  }),
};

/** The node and its network (admin API). */
export const networkRoutes = {
  /** Ours: what the dashboard's identity page shows. */
  nodeInfo: route({ method: 'GET', url: '/admin-api/node-info', access: 'protected', response: nodeInfoResponse }),
  /** `{"count":n}` without a data wrapper, as upstream. */
  peers: route({ method: 'GET', url: '/admin-api/peers', access: 'protected', response: peersResponse }),
};
