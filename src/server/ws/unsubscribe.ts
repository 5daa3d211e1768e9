import type { Subscriber } from './subscribe.ts';

/**
 * `unsubscribe` (docs/events.md, WebSocket): removes the contexts; the answer echoes the **requested** ids, including
 * ones that were not subscribed (upstream behaviour).
 */
export function unsubscribe(conn: Pick<Subscriber, 'subscriptions'>, contextIds: string[]): { result: unknown } {
  for (const c of contextIds) {
    const off = conn.subscriptions.get(c);
    if (off) {
      conn.subscriptions.delete(c);
      off();
    }
  }
  return { result: { contextIds } };
}
