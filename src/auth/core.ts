import type { AuthConfig } from './config.ts';
import type { AuthStorage } from './storage.ts';
import type { KeyManager } from './keys.ts';
import type { HeaderBag, TokenManager } from './tokens.ts';
import type { AuthProvider } from './providers.ts';
import type { AuthErrorCode, Claims } from '../wire/auth.ts';

/** Outcome of a token check, shared by `/auth/validate`, the `/admin` middleware and the node guard. */
export type VerifyResult =
  | { ok: true; keyId: string; permissions: string[]; claims: Claims }
  | { ok: false; status: 400 | 401 | 403; reason: string; error: AuthErrorCode };

/** Counters reported by `GET /admin/metrics` (upstream `AuthMetrics`). */
export class AuthMetrics {
  readonly started = Date.now();
  attempts = 0;
  successes = 0;
  failures = 0;
  totalMs = 0;
  timed = 0;
  failuresByType: Record<string, number> = {};
  refreshes = 0;
  revocations = 0;

  record(ok: boolean, ms: number, type = 'authentication_failed'): void {
    this.attempts++;
    this.totalMs += ms;
    this.timed++;
    if (ok) this.successes++;
    else {
      this.failures++;
      this.failuresByType[type] = (this.failuresByType[type] ?? 0) + 1;
    }
  }
  uptimeSeconds(): number {
    return Math.floor((Date.now() - this.started) / 1000);
  }
  snapshot(): Record<string, unknown> {
    return {
      auth_attempts: this.attempts,
      auth_successes: this.successes,
      auth_failures: this.failures,
      auth_success_rate: this.attempts ? (this.successes / this.attempts) * 100 : 0,
      auth_avg_duration_ms: this.timed ? Math.floor(this.totalMs / this.timed) : 0,
      auth_failures_by_type: { ...this.failuresByType },
      token_refreshes: this.refreshes,
      token_revocations: this.revocations,
    };
  }
}

/** Internal state shared by the routes (exported for tools and tests; not a stable API). */
export interface AuthCore {
  config: AuthConfig;
  storage: AuthStorage;
  keys: KeyManager;
  tokens: TokenManager;
  providers: AuthProvider[];
  metrics: AuthMetrics;
  frontendDir: string;
  version: string;
  /** Full token check: signature/claims, node host binding, key (and its root key) not revoked. */
  checkToken(token: string | undefined, headers: HeaderBag, type?: 'access' | 'refresh'): Promise<VerifyResult>;
}

