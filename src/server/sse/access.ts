import { ADMIN } from '../../auth/index.ts';
import { maySubscribe } from '../auth/context-access.ts';
import { allows, type Principal } from '../auth/principal.ts';
import type { SseSession } from './session.ts';
import { HttpError } from '../errors.ts';

/** 403 for another credential's session. */
export const forbiddenSession = () =>
  new HttpError(403, 'Permission denied: this SSE session belongs to another credential', 'json', undefined, {
    'x-auth-error': 'permission_denied',
  });

/**
 * Whether `principal` may attach to, change or read `session`: its owner, an administrator, or — for a session
 * restored from the store, whose owner is not kept — a credential that may watch every context it follows.
 * Without a principal the node enforces nothing.
 */
export function mayUse(session: SseSession, principal: Principal | undefined): boolean {
  if (!principal || session.owner === principal.id || allows(principal, ADMIN)) return true;
  if (session.owner !== undefined) return false;
  return [...session.subscriptions.keys()].every((c) => maySubscribe(principal, c));
}
