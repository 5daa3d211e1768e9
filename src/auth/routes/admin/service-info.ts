import type { AuthCore } from '../../core.ts';
import type { authAdminRoutes } from '../../../wire/routes/auth.ts';
import type { AuthHandler } from '../handler.ts';
import { ok } from '../reply.ts';

type R = typeof authAdminRoutes;

/** GET /admin/identity: what this service is. */
export const identity =
  (core: Pick<AuthCore, 'version' | 'providers'>): AuthHandler<R['identity']> =>
  ({ reply }) =>
    ok(reply, { service: 'calimero-auth', version: core.version, authentication_mode: 'forward', providers: core.providers.map((p) => p.name) });

/** GET /admin/metrics: login, refresh and revocation counters. */
export const metrics =
  (core: Pick<AuthCore, 'metrics'>): AuthHandler<R['metrics']> =>
  ({ reply }) =>
    ok(reply, core.metrics.snapshot());
