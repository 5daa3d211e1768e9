import { maySubscribe } from '../auth/context-access.ts';
import type { Principal } from '../auth/principal.ts';

/** The subscriptions of one connection, as `subscribe` / `unsubscribe` change them (WsConnection has them). */
export interface Subscriber {
  /** Who opened the connection (absent: the node enforces no auth). */
  readonly principal?: Principal;
  /** Subscribed context → the function that stops its events. */
  readonly subscriptions: Map<string, () => void>;
  readonly options: { readonly maxSubscriptions: number };
  /** Starts delivering a context's events to the connection; returns the stop function. */
  listen(contextId: string): () => void;
}

/**
 * `subscribe` (docs/events.md, WebSocket): adds the contexts to this connection and answers
 * `{"contextIds":[…as requested…]}`. Ids are not checked for existence (as upstream). Where auth is enforced,
 * each context must be one the credential may watch ({@link maySubscribe}).
 *
 * Ours: a connection holds at most `[server.limits] max_subscriptions_per_client` contexts (default 1,000).
 * A request that would go over is refused as a whole (nothing is added) with the ParseError shape upstream
 * clients already handle: `{"type":"ParseError","data":"subscription limit reached: at most N contexts per connection"}`.
 */
export function subscribe(conn: Subscriber, contextIds: string[]): { result: unknown } | { error: unknown } {
  // Ours: only contexts the connection's credential may watch; otherwise nothing is subscribed.
  const denied = contextIds.find((c) => !maySubscribe(conn.principal, c));
  if (denied !== undefined) {
    return { error: { type: 'PermissionDenied', data: `Permission denied: requires context:subscribe[${denied}]` } };
  }
  const fresh = new Set(contextIds.filter((c) => !conn.subscriptions.has(c)));
  const total = conn.subscriptions.size + fresh.size;
  if (total > conn.options.maxSubscriptions) {
    return {
      error: {
        type: 'ParseError',
        data: `subscription limit reached: at most ${conn.options.maxSubscriptions} contexts per connection`,
      },
    };
  }
  for (const c of fresh) conn.subscriptions.set(c, conn.listen(c));
  return { result: { contextIds } };
}
