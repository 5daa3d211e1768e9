import { z } from 'zod';
import { route } from '../../http/route.ts';
import {
  ChallengeResponseSchema,
  ClientKeyInfoSchema,
  CreateKeyRequestSchema,
  CreateKeyResponseSchema,
  DeleteKeyResponseSchema,
  envelopeSchema,
  GenerateClientKeyRequestSchema,
  HealthResponseSchema,
  IdentityResponseSchema,
  MetricsResponseSchema,
  MockTokenRequestSchema,
  PermissionResponseSchema,
  ProvidersResponseSchema,
  RefreshTokenRequestSchema,
  RevokeClientKeyResponseSchema,
  RevokeResponseSchema,
  RevokeTokenRequestSchema,
  RootKeyInfoSchema,
  TokenRequestSchema,
  TokenResponseSchema,
  UpdateKeyPermissionsRequestSchema,
} from '../auth.ts';

/**
 * mero-auth's routes (served by the standalone service, and by the node in embedded mode; forwarded by a node in
 * proxy mode). Every JSON answer is the `{"data": …, "error": null}` envelope; body errors use it too ('auth').
 * `/auth/*` is public; `/admin/*` needs a JWT whose permissions mero-auth's table requires for the path
 * (`requiredPermissions` in src/auth/permissions.ts), checked by mero-auth itself.
 */
const env = envelopeSchema;
const tokens = env(TokenResponseSchema);
const json = <S extends z.ZodType>(schema: S) => ({ schema, errors: 'auth' }) as const;

export const authPublicRoutes = {
  loginPage: route({ method: 'GET', url: '/auth/login', access: 'public', produces: 'text/html', root: true, summary: 'The login page' }),
  loginAsset: route({ method: 'GET', url: '/auth/assets/*', access: 'public', root: true, summary: 'Files of the login page' }),
  favicon: route({ method: 'GET', url: '/auth/favicon.ico', access: 'public', root: true }),
  /** meroctl's browser flow: a redirect to the login page, which handles `callback-url` itself. */
  loginCallback: route({ method: 'GET', url: '/auth/callback', access: 'public', root: true, summary: 'Redirects to the login page' }),
  token: route({ method: 'POST', url: '/auth/token', access: 'public', body: json(TokenRequestSchema), response: tokens, root: true }),
  /** Exchanges an expired access token and its (single-use) refresh token for a new pair. */
  refresh: route({ method: 'POST', url: '/auth/refresh', access: 'public', body: json(RefreshTokenRequestSchema), response: tokens, root: true }),
  challenge: route({ method: 'GET', url: '/auth/challenge', access: 'public', response: env(ChallengeResponseSchema), root: true }),
  providers: route({ method: 'GET', url: '/auth/providers', access: 'public', response: env(ProvidersResponseSchema), root: true }),
  authHealth: route({ method: 'GET', url: '/auth/health', access: 'public', response: env(HealthResponseSchema), root: true }),
  /** Only with `development.enable_mock_auth`. */
  mockToken: route({ method: 'POST', url: '/auth/mock-token', access: 'public', body: json(MockTokenRequestSchema), response: tokens, root: true }),
};

/** Forward-auth (no body parsing: proxies forward arbitrary content types). */
export const authForwardRoutes = {
  /**
   * Forward-auth: checks the bearer token (and, with `X-Forwarded-Method` / `X-Forwarded-Uri`, the permission the
   * forwarded route needs); answers `X-Auth-User` and `X-Auth-Permissions`. Any body is ignored.
   */
  validate: route({ method: ['GET', 'POST'], url: '/auth/validate', access: 'public', response: env(z.literal('')), root: true }),
};

export const authAdminRoutes = {
  revoke: route({ method: 'POST', url: '/admin/revoke', access: 'protected', body: json(RevokeTokenRequestSchema), response: env(RevokeResponseSchema), root: true }),
  listRootKeys: route({ method: 'GET', url: '/admin/keys', access: 'protected', response: env(z.array(RootKeyInfoSchema)), root: true }),
  createRootKey: route({ method: 'POST', url: '/admin/keys', access: 'protected', body: json(CreateKeyRequestSchema), response: env(CreateKeyResponseSchema), root: true }),
  deleteRootKey: route({ method: 'DELETE', url: '/admin/keys/:key_id', access: 'protected', response: env(DeleteKeyResponseSchema), root: true }),
  listClientKeys: route({ method: 'GET', url: '/admin/keys/clients', access: 'protected', response: env(z.array(ClientKeyInfoSchema)), root: true }),
  generateClientKey: route({ method: 'POST', url: '/admin/client-key', access: 'protected', body: json(GenerateClientKeyRequestSchema), response: tokens, root: true }),
  revokeClientKey: route({
    method: 'DELETE',
    url: '/admin/keys/:key_id/clients/:client_id',
    access: 'protected',
    response: env(RevokeClientKeyResponseSchema),
    root: true,
  }),
  getKeyPermissions: route({ method: 'GET', url: '/admin/keys/:key_id/permissions', access: 'protected', response: env(PermissionResponseSchema), root: true }),
  updateKeyPermissions: route({
    method: 'PUT',
    url: '/admin/keys/:key_id/permissions',
    access: 'protected',
    body: json(UpdateKeyPermissionsRequestSchema),
    response: env(PermissionResponseSchema),
    root: true,
  }),
  identity: route({ method: 'GET', url: '/admin/identity', access: 'protected', response: env(IdentityResponseSchema), root: true }),
  metrics: route({ method: 'GET', url: '/admin/metrics', access: 'protected', response: env(MetricsResponseSchema), root: true }),
};

/** Every mero-auth route, by name. */
export const authRoutes = { ...authPublicRoutes, ...authForwardRoutes, ...authAdminRoutes };
