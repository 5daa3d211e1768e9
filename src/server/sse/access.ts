import { ADMIN } from '../../auth/index.ts';
import { maySubscribe } from '../auth/context-access.ts';
import { allows, permissionDenied, type Principal } from '../auth/principal.ts';
import type { SseSession } from './session.ts';

/** 403 for another credential's session. */
export const forbiddenSession = () => permissionDenied('Permission denied: this SSE session belongs to another credential');

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
