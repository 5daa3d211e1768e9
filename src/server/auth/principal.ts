import type { FastifyRequest } from 'fastify';
import { formatPermission, hasPermissions, type Permission } from '../../auth/index.ts';
import { HttpError } from '../errors.ts';

/**
 * Who a protected request comes from, once its credential (a mero-auth JWT or the seed's wallet headers) has
 * been checked: the permissions it holds, and how to re-check it while a stream it opened stays open.
 */
export interface Principal {
  /** The mero-auth key id, or `wallet:<signing key>` for wallet headers. */
  readonly id: string;
  readonly permissions: readonly string[];
  /** Unix seconds at which the credential stops being valid (a token's `exp`); streams are closed then. */
  readonly expiresAt?: number;
  /** Checks the credential again now: false once its key was revoked or deleted. */
  stillValid(): Promise<boolean>;
}

export type GuardResult = { ok: true; principal: Principal } | { ok: false; error: HttpError };

/**
 * Checks a protected request's credential. `queryToken` allows `?token=` (WebSocket upgrades and `GET /sse`
 * only, where a browser cannot set a header).
 */
export type Guard = (req: FastifyRequest, opts?: { queryToken?: boolean }) => Promise<GuardResult>;

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the guard on protected routes; absent when the node enforces no auth (proxy mode without an auth URL). */
    principal?: Principal;
  }
}

/**
 * Whether the caller holds at least one of `alternatives`. No principal means nothing is enforced inside the
 * node (proxy mode trusting its reverse proxy), so everything is allowed, as upstream.
 */
export function allows(principal: Principal | undefined, ...alternatives: Permission[]): boolean {
  if (!principal) return true;
  return alternatives.some((p) => hasPermissions(principal.permissions, [p]));
}

/** 403 `{"error": message}` in the admin API's shape, with upstream's `X-Auth-Error: permission_denied`. */
export function permissionDenied(message: string): HttpError {
  return new HttpError(403, message, 'json', undefined, { 'x-auth-error': 'permission_denied' });
}

/** {@link permissionDenied} naming the permission that was missing. */
export function forbidden(required: Permission): HttpError {
  return permissionDenied(`Permission denied: requires ${formatPermission(required)}`);
}

/** Throws {@link forbidden} for the first alternative unless the caller holds one of them. */
export function demand(principal: Principal | undefined, ...alternatives: Permission[]): void {
  if (!allows(principal, ...alternatives)) throw forbidden(alternatives[0]!);
}
