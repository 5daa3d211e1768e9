/** Event subscriptions for Node (kept for existing imports; see ./node.ts). */
export { subscribeWs, subscribeSse, nodeWebSocket } from './node.ts';
export type { NodeEvent, ExecutionEvent } from './types.ts';
export type { WsSubscription, WsOptions } from './ws.ts';
export type { SseSubscription, SseOptions } from './sse.ts';
/** Either subscription: both can be closed. */
export interface Subscription {
  close(): void;
}
