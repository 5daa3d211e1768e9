import type { AuthCore } from '../core.ts';
import type { authPublicRoutes } from '../../wire/routes/auth.ts';
import { isValidForNode } from '../keys.ts';
import { header } from '../tokens.ts';
import { LoginThrottledError, ProviderError } from '../providers.ts';
import { clientAddress as loginAddressOf } from '../ratelimit.ts';
import type { AuthHandler } from './handler.ts';
import { fail, sanitizeIdentifier, sanitizeString, tokenPair } from './reply.ts';

/**
 * POST /auth/token: a login through a provider → a token pair bound to the node URL (`client_name`, as
 * upstream). Throttled logins are 429/503 with `Retry-After`.
 */
export default (core: Pick<AuthCore, 'config' | 'providers' | 'metrics' | 'keys' | 'tokens'>): AuthHandler<typeof authPublicRoutes.token> =>
  async ({ req, reply, body: read }) => {
    const body = read();
    if (!body) return reply;
    const started = Date.now();
    const nodeUrl = body.client_name; // upstream: client_name is the node URL the tokens are bound to
    const authMethod = sanitizeIdentifier(body.auth_method);
    if (!authMethod) return fail(reply, 400, 'Authentication method must contain valid characters');
    if (!sanitizeString(body.public_key)) return fail(reply, 400, 'Public key cannot be empty after sanitization');
    if (!sanitizeString(body.client_name)) return fail(reply, 400, 'Client name cannot be empty after sanitization');

    const provider = core.providers.find((p) => p.supportsMethod(authMethod));
    if (!provider) {
      core.metrics.record(false, Date.now() - started, 'unsupported_method');
      return fail(reply, 401, `Authentication failed: Unsupported authentication method: ${authMethod}`);
    }
    // Login throttling is accounted to this address (the TCP peer, or with `trust_proxy` the address the
    // nearest proxy saw).
    const clientAddress = loginAddressOf(req.ip, header(req.headers, 'x-forwarded-for'), core.config.userPassword.rateLimit.trustProxy);
    let result;
    try {
      result = await provider.authenticate(body.provider_data, { clientAddress });
    } catch (e) {
      if (e instanceof ProviderError && (e.status === 429 || e.status === 503)) {
        core.metrics.record(false, Date.now() - started, e.status === 429 ? 'rate_limited' : 'busy');
        if (e instanceof LoginThrottledError && e.firstInWindow) {
          req.log.warn({ client: clientAddress, retry_after: e.retryAfter }, 'auth: login attempts throttled');
        }
        reply.header('retry-after', String(e.retryAfter ?? 1));
        return fail(reply, e.status, e.message);
      }
      core.metrics.record(false, Date.now() - started, 'invalid_credentials');
      if (e instanceof ProviderError) return fail(reply, e.status, `Authentication failed: ${e.message}`);
      throw e;
    }
    const key = await core.keys.getKey(result.keyId);
    if (key && !isValidForNode(key, nodeUrl)) {
      core.metrics.record(false, Date.now() - started, 'invalid_node');
      return fail(reply, 401, 'Authentication failed: Key is not valid for this node');
    }
    const pair = await core.tokens.issuePair(result.keyId, result.permissions, nodeUrl);
    core.metrics.record(true, Date.now() - started);
    return tokenPair(reply, pair);
  };
