/**
 * Authentication service (mero-auth re-implementation) and the seed's wallet-login verification.
 * See docs/auth.md.
 */
export { createAuthService, type AuthService, type AuthServiceOptions, type VerifyResult, type AuthCore } from './service.ts';
export {
  AuthConfigSchema,
  type AuthConfig,
  type AuthConfigInput,
  defaultAuthConfig,
  parseAuthConfig,
  applyEnvOverrides,
  resolveStoragePath,
  splitListenAddr,
  AuthConfigError,
} from './config.ts';
export * from '../wire/auth.ts';
export { type AuthStorage, MemoryAuthStorage, StoreAuthStorage } from './storage.ts';
export { bearerToken, queryToken, checkNodeHost, type HeaderBag } from './tokens.ts';
export {
  parsePermission,
  hasPermissions,
  requiredPermissions,
  permitted,
  permission,
  formatPermission,
  ADMIN,
  type Permission,
} from './permissions.ts';
