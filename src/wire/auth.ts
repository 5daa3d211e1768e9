import { z } from 'zod';

/**
 * Wire types of mero-auth (upstream `crates/auth`, tag 0.10.0): one zod schema per request/response body, field
 * names upstream's (snake_case). The one place they are declared: mero-auth validates requests with them, its
 * route declarations (src/wire/routes/auth.ts) name them for the OpenAPI document, and our client validates
 * answers with them.
 */

/** Every mero-auth response: `{"data": …, "error": null}` or `{"data": null, "error": "<message>"}`. */
export const envelopeSchema = <T extends z.ZodType>(data: T) =>
  z.object({ data: data.nullable(), error: z.string().nullable() });
export type Envelope<T> = { data: T | null; error: string | null };

/** `POST /auth/token` — upstream `BaseTokenRequest`. `client_name` doubles as the token's `node_url`. */
export const TokenRequestSchema = z.object({
  auth_method: z.string().min(1, 'Authentication method is required'),
  public_key: z.string().min(1, 'Public key is required'),
  client_name: z.string().min(1, 'Client name is required'),
  permissions: z.array(z.string()).nullish(),
  timestamp: z.number().int().nonnegative(),
  provider_data: z.unknown(),
});
export type TokenRequest = z.infer<typeof TokenRequestSchema>;

/** Upper bounds of `user_password` credentials, in UTF-8 bytes (checked before any argon2 work). */
export const MAX_USERNAME_BYTES = 256;
export const MAX_PASSWORD_BYTES = 1024;
const utf8 = new TextEncoder();
/** UTF-8 length, short-cut for long strings (every UTF-16 unit is at least one UTF-8 byte). */
const utf8Bytes = (s: string) => (s.length > 4 * MAX_PASSWORD_BYTES ? s.length : utf8.encode(s).length);

/**
 * `provider_data` of the `user_password` provider. Oversized credentials fail with a `custom` issue
 * (the provider answers those 400).
 */
export const UserPasswordDataSchema = z.object({
  username: z
    .string()
    .min(1, 'Username is required')
    .refine((s) => utf8Bytes(s) <= MAX_USERNAME_BYTES, `Username must be at most ${MAX_USERNAME_BYTES} bytes`),
  password: z
    .string()
    .min(1, 'Password is required')
    .refine((s) => utf8Bytes(s) <= MAX_PASSWORD_BYTES, `Password must be at most ${MAX_PASSWORD_BYTES} bytes`),
});
export type UserPasswordData = z.infer<typeof UserPasswordDataSchema>;

/** Body of `POST /auth/token`, `/auth/refresh`, `/admin/client-key` and `/auth/mock-token` answers (`data`). */
export const TokenResponseSchema = z.object({
  access_token: z.string(),
  refresh_token: z.string(),
  error: z.string().nullable(),
});
export type TokenResponse = z.infer<typeof TokenResponseSchema>;

/** `POST /auth/refresh`. */
export const RefreshTokenRequestSchema = z.object({
  access_token: z.string().min(1, 'Access token is required'),
  refresh_token: z.string().min(1, 'Refresh token is required'),
});
export type RefreshTokenRequest = z.infer<typeof RefreshTokenRequestSchema>;

/** `GET /auth/challenge` answer (`data`). */
export const ChallengeResponseSchema = z.object({ challenge: z.string(), nonce: z.string() });
export type ChallengeResponse = z.infer<typeof ChallengeResponseSchema>;

/** `POST /admin/revoke`. */
export const RevokeTokenRequestSchema = z.object({
  client_id: z.string().min(1, 'Client ID cannot be empty'),
});
export type RevokeTokenRequest = z.infer<typeof RevokeTokenRequestSchema>;

/** `POST /admin/keys` (create a root key through a provider). */
export const CreateKeyRequestSchema = z.object({
  public_key: z.string().min(1, 'Public key is required'),
  auth_method: z.string().min(1, 'Authentication method is required'),
  provider_data: z.unknown(),
  target_node_url: z.string().nullish(),
});
export type CreateKeyRequest = z.infer<typeof CreateKeyRequestSchema>;

/** `POST /admin/client-key`. */
export const GenerateClientKeyRequestSchema = z.object({
  context_id: z.string().nullish(),
  context_identity: z.string().nullish(),
  permissions: z.array(z.string()).nullish(),
  target_node_url: z.string().nullish(),
});
export type GenerateClientKeyRequest = z.infer<typeof GenerateClientKeyRequestSchema>;

/** `PUT /admin/keys/:key_id/permissions`. */
export const UpdateKeyPermissionsRequestSchema = z.object({
  add: z.array(z.string()).nullish(),
  remove: z.array(z.string()).nullish(),
});
export type UpdateKeyPermissionsRequest = z.infer<typeof UpdateKeyPermissionsRequestSchema>;

/** `POST /auth/mock-token` (only with `development.enable_mock_auth`). */
export const MockTokenRequestSchema = z.object({
  client_name: z.string().min(1, 'Client name is required'),
  permissions: z.array(z.string()).nullish(),
  node_url: z.string().nullish(),
  access_token_expiry: z.number().int().positive().nullish(),
  refresh_token_expiry: z.number().int().positive().nullish(),
});
export type MockTokenRequest = z.infer<typeof MockTokenRequestSchema>;

/** Answer items of `GET /admin/keys`. */
export const RootKeyInfoSchema = z.object({
  key_id: z.string(),
  public_key: z.string().nullable(),
  auth_method: z.string().nullable(),
  created_at: z.number(),
  revoked_at: z.number().nullable(),
  permissions: z.array(z.string()),
});
export type RootKeyInfo = z.infer<typeof RootKeyInfoSchema>;

/** Answer items of `GET /admin/keys/clients`. */
export const ClientKeyInfoSchema = z.object({
  client_id: z.string(),
  root_key_id: z.string(),
  name: z.string(),
  permissions: z.array(z.string()),
  created_at: z.number(),
  revoked_at: z.number().nullable(),
  is_valid: z.boolean(),
});
export type ClientKeyInfo = z.infer<typeof ClientKeyInfoSchema>;

/** `POST /admin/revoke` answer (`data`). */
export const RevokeResponseSchema = z.object({ success: z.boolean(), message: z.string() });

/** `POST /admin/keys` answer (`data`). */
export const CreateKeyResponseSchema = z.object({ status: z.boolean(), message: z.string() });

/**
 * `DELETE /admin/keys/:key_id` answer (`data`): the revoked key, or (200) `{status:false, message}` when it is the
 * last active root key.
 */
export const DeleteKeyResponseSchema = z.union([
  z.object({ key_id: z.string(), revoked_at: z.number().nullable() }),
  z.object({ status: z.literal(false), message: z.string() }),
]);

/** `DELETE /admin/keys/:key_id/clients/:client_id` answer (`data`). */
export const RevokeClientKeyResponseSchema = z.object({ message: z.string(), revoked_at: z.number().nullable() });

/** `GET /admin/identity` answer (`data`). */
export const IdentityResponseSchema = z.object({
  service: z.string(),
  version: z.string(),
  authentication_mode: z.string(),
  providers: z.array(z.string()),
});

/** `GET /admin/metrics` answer (`data`). */
export const MetricsResponseSchema = z.record(z.string(), z.unknown());

/** `GET|PUT /admin/keys/:key_id/permissions` answer (`data`). */
export const PermissionResponseSchema = z.object({ permissions: z.array(z.string()) });

/** `GET /auth/providers` answer (`data`). */
export const ProvidersResponseSchema = z.object({
  providers: z.array(
    z.object({
      name: z.string(),
      type: z.string(),
      description: z.string(),
      configured: z.boolean(),
      config: z.unknown(),
    }),
  ),
  count: z.number(),
});

/** `GET /auth/health` answer (`data`). */
export const HealthResponseSchema = z.object({
  status: z.enum(['alive', 'not_alive']),
  storage: z.boolean(),
  uptime_seconds: z.number(),
});

/** JWT claims we issue (upstream `Claims` plus `token_type`, which upstream lacks). */
export const ClaimsSchema = z.object({
  sub: z.string().min(1),
  iss: z.string(),
  aud: z.union([z.string(), z.array(z.string())]),
  exp: z.number(),
  iat: z.number(),
  jti: z.string(),
  permissions: z.array(z.string()),
  node_url: z.string().optional(),
  token_type: z.enum(['access', 'refresh']).optional(),
});
export type Claims = z.infer<typeof ClaimsSchema>;

/** Values of the `X-Auth-Error` response header. */
export type AuthErrorCode =
  | 'missing_token'
  | 'invalid_token'
  | 'token_expired'
  | 'token_revoked'
  | 'invalid_node'
  | 'invalid_request'
  | 'permission_denied';
