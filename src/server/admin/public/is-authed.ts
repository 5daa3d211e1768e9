import type { FastifyRequest } from 'fastify';
import type { AuthErrorCode } from '../../../wire/auth.ts';
import type { Handler } from '../../handler.ts';
import type { Services } from '../../services.ts';
import type { publicRoutes } from '../../../wire/routes/public.ts';
import { HttpError } from '../../errors.ts';

const ALIVE = { data: { status: 'alive' } };

type Needs = Pick<Services, 'auth' | 'authService'>;

/** Why the guard refused: mero-auth's own reason in embedded mode, else what the request shows. */
async function refusal(s: Needs, req: FastifyRequest): Promise<{ code: AuthErrorCode; reason: string }> {
  const authorization = req.headers.authorization;
  if (s.authService) {
    const r = await s.authService.verifyRequest({ authorization, host: req.headers.host, 'x-forwarded-host': req.headers['x-forwarded-host'] });
    if (!r.ok) return { code: r.error, reason: r.reason };
  }
  return authorization === undefined
    ? { code: 'missing_token', reason: 'No token provided' }
    : { code: 'invalid_token', reason: 'Invalid token' };
}

/**
 * Upstream's "am I behind auth?" probe, which its dashboard and clients call first. Upstream's node answers 200
 * itself and relies on an auth proxy's 401; where this node enforces auth itself (embedded mode, or proxy mode
 * with `[server.proxy_auth]`), it answers like that proxy: 200 for a valid credential, else 401
 * `{"data":null,"error":…}` with `X-Auth-Error` (`missing_token`, `invalid_token`, `token_expired` — a client
 * refreshes then —, `token_revoked`, `invalid_node`). Proxy mode trusting its reverse proxy: always 200.
 */
export default (s: Needs): Handler<typeof publicRoutes.isAuthed> =>
  async ({ req }) => {
    if (!s.auth.guard) return ALIVE;
    const r = await s.auth.guard(req);
    if (r.ok) return ALIVE;
    if (r.error.status >= 500) throw r.error; // the auth service is unreachable: not the caller's fault
    const { code, reason } = await refusal(s, req);
    throw new HttpError(401, reason, 'json', { data: null, error: reason }, {
      'x-auth-error': code,
      'access-control-expose-headers': 'x-auth-error',
    });
  };
