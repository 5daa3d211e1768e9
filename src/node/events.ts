/** The one node event upstream has at 0.10.0 (docs/events.md, WebSocket): a context's state changed or it emitted events. */
export interface ExecutionEvent {
  kind: string;
  data: number[];
  handler: string | null;
}
export interface NodeEvent {
  contextId: string;
  type: 'StateMutation';
  data: { newRoot: string; events: ExecutionEvent[] };
}

export type Listener = (event: NodeEvent) => void;

/**
 * In-process fan-out of node events to WS/SSE connections. Listeners register per context id, so a publish
 * costs O(subscribers of that context), not O(all connections).
 */
export class EventHub {
  private readonly byContext = new Map<string, Set<Listener>>();
  private readonly all = new Set<Listener>();

  publish(event: NodeEvent): void {
    for (const l of this.all) safe(l, event);
    const set = this.byContext.get(event.contextId);
    if (set) for (const l of set) safe(l, event);
  }

  subscribe(contextId: string, listener: Listener): () => void {
    let set = this.byContext.get(contextId);
    if (!set) this.byContext.set(contextId, (set = new Set()));
    set.add(listener);
    return () => {
      set!.delete(listener);
      // Only drop the set this listener was in: a stale second call must not drop a newer set's listeners.
      if (set!.size === 0 && this.byContext.get(contextId) === set) this.byContext.delete(contextId);
    };
  }

  /** Every event of every context (used by the dashboard's node-wide view and by tests). */
  subscribeAll(listener: Listener): () => void {
    this.all.add(listener);
    return () => this.all.delete(listener);
  }

  listenerCount(contextId: string): number {
    return this.byContext.get(contextId)?.size ?? 0;
  }
}

function safe(l: Listener, e: NodeEvent): void {
  try {
    l(e);
  } catch {
    // A failing subscriber must not stop delivery to the others.
  }
}
