/**
 * Event handlers of remote entries: a state entry's events may name a handler method that receiving members
 * run (upstream: receiving nodes do, the author does not).
 */
import type { Logger } from 'pino';
import { encodeId, idKey, sameId } from '../../util/ids.ts';
import type { Contexts } from '../contexts.ts';
import type { ExecutionEvent } from '../events.ts';
import type { Execution } from '../execution.ts';
import type { Membership } from './membership.ts';

export class EventHandlers {
  /** Handler runs, chained per context. */
  private readonly chains = new Map<string, Promise<void>>();

  constructor(
    private readonly contexts: Contexts,
    private readonly execution: Execution,
    private readonly logger: Logger,
    private readonly onRun: () => void,
  ) {}

  /**
   * Who runs the handlers of a remote entry's events here: an owned identity that was a member in the entry's
   * causal past (`m`). Entries from before this node was added (history replayed when joining) therefore run no
   * handlers: the members of that time ran them. Null when none does (or we wrote the entry).
   */
  async executor(ctx: Uint8Array, m: Membership, author: Uint8Array): Promise<Uint8Array | null> {
    const owned = await this.contexts.identities(ctx, true);
    if (owned.some((pk) => sameId(pk, author))) return null;
    return owned.find((pk) => m.members[encodeId(pk)]) ?? null;
  }

  /**
   * Runs each event's handler as a separate mutation (input = the event's data), after the entry committed and
   * in order per context; each run makes its own entry. A failing handler is logged and skipped (as upstream).
   * Unlike upstream 0.10.0, entries that waited for missing parents run their handlers too once applied.
   */
  run(ctx: Uint8Array, executor: Uint8Array, events: ExecutionEvent[]): void {
    const key = idKey(ctx);
    const run = (this.chains.get(key) ?? Promise.resolve()).then(async () => {
      for (const e of events) {
        if (!e.handler) continue;
        try {
          await this.execution.execute({ contextId: ctx, method: e.handler, input: Uint8Array.from(e.data), executor, mode: 'mutate' });
          this.onRun();
        } catch (err) {
          this.logger.warn({ context: encodeId(ctx), handler: e.handler, err: (err as Error).message }, 'event handler failed');
        }
      }
    });
    this.chains.set(key, run);
    void run.finally(() => {
      if (this.chains.get(key) === run) this.chains.delete(key);
    });
  }
}
