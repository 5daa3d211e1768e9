import type { AuthCore } from '../core.ts';
import type { authPublicRoutes } from '../../wire/routes/auth.ts';
import type { AuthHandler } from './handler.ts';
import { ok } from './reply.ts';

type R = typeof authPublicRoutes;

/** GET /auth/challenge: a signed nonce for wallet providers. */
export const challenge =
  (core: Pick<AuthCore, 'tokens'>): AuthHandler<R['challenge']> =>
  async ({ reply }) =>
    ok(reply, await core.tokens.challenge());

/** GET /auth/providers: the configured login providers. */
export const providers =
  (core: Pick<AuthCore, 'providers'>): AuthHandler<R['providers']> =>
  async ({ reply }) => {
    const list = [];
    for (const p of core.providers) {
      list.push({
        name: p.name,
        type: p.type,
        description: p.description,
        configured: await p.isConfiguredWithUsers().catch(() => true),
        config: p.configOptions(),
      });
    }
    return ok(reply, { providers: list, count: list.length });
  };

/** GET /auth/health: whether the storage answers, and the uptime. */
export const health =
  (core: Pick<AuthCore, 'storage' | 'metrics'>): AuthHandler<R['authHealth']> =>
  async ({ reply }) => {
    const storageOk = await core.storage.exists('health-check').then(
      () => true,
      () => false,
    );
    return ok(reply, { status: storageOk ? 'alive' : 'not_alive', storage: storageOk, uptime_seconds: core.metrics.uptimeSeconds() });
  };
