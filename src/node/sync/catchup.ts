/**
 * Catch-up: received entries waiting for their parents and the walk that fetches a peer's entries this node
 * lacks. Waiting entries are held in memory (pending.ts) up to its bound; the overflow, and whatever the full
 * buffer evicts, goes to disk (spool.ts), so a gap of any size is fetched and applied with bounded memory.
 */
import type { Logger } from 'pino';
import type { Store } from '../../store/store.ts';
import { encodeId, idKey, sameId } from '../../util/ids.ts';
import type { Dag } from './dag.ts';
import { PendingDag, type DrainOps, type PendingEntry } from './pending.ts';
import type { PeerProtocol } from './protocol.ts';
import { Spool } from './spool.ts';

const FETCH_BATCH = 128;
/**
 * Entries fetched per catch-up round (`MEROD_SYNC_MAX_FETCH` changes it, e.g. for tests). A walk longer than a
 * round goes on in further rounds, applying what it can in between, until it reaches what this node has.
 */
const MAX_FETCH = Number(process.env.MEROD_SYNC_MAX_FETCH) || 100_000;
/** A walk stops after this many rounds (logged; the next sync starts a new walk). */
const MAX_ROUNDS = 1000;
/**
 * Unknown ids a walk may hold at once. A history fans out only as far as entries were concurrent, but a peer can
 * serve entries naming 1,024 made-up parents each (a million ids after a thousand entries): past this the walk
 * stops, and a later sync walks again from what has been applied meanwhile.
 */
const MAX_QUEUED = 100_000;
export interface CatchUpDeps {
  dag: Dag;
  store: Store;
  logger: Logger;
  protocol(): PeerProtocol;
  /** Applies what has become applicable in a context (the manager's drain). */
  drain(ctx: Uint8Array): Promise<void>;
  onFetched(n: number): void;
}

export class CatchUp {
  /** Received entries waiting for parents, in memory; what a full buffer evicts goes to the spool. */
  readonly pending = new PendingDag(undefined, (e) => this.spill(e));
  private readonly spool: Spool;
  private readonly spilling = new Set<Promise<unknown>>();

  constructor(private readonly d: CatchUpDeps) {
    this.spool = new Spool(d.store);
  }

  async known(ctx: Uint8Array, id: Uint8Array): Promise<boolean> {
    return this.pending.has(ctx, id) || (await this.d.dag.has(ctx, id)) || (await this.spool.has(ctx, id));
  }

  /** Keeps an entry the full receive buffer pushed out, on disk (spool.ts). */
  private spill(e: PendingEntry): void {
    const p = this.spool.add(e).catch((err) => this.d.logger.warn({ err: (err as Error).message }, 'spooling a received entry failed'));
    this.spilling.add(p);
    void p.finally(() => this.spilling.delete(p));
  }

  /** A fetched entry: into the receive buffer while it has room, else to the spool. */
  private async hold(e: PendingEntry): Promise<void> {
    if (this.pending.full(e.delta.contextId)) await this.spool.add(e);
    else this.pending.add(e);
  }

  /**
   * Fetches `ids` and, transitively, their unknown ancestors from `peer` (into the receive buffer, the overflow
   * into the spool), in rounds of MAX_FETCH entries with what has become applicable applied in between, until the
   * walk reaches entries this node has. Only the ids still to fetch are held in memory.
   */
  async fetchMissing(ctx: Uint8Array, peer: string, ids: Uint8Array[]): Promise<number> {
    const queue: Uint8Array[] = [];
    const queued = new Set<string>();
    const want = async (id: Uint8Array) => {
      const k = idKey(id);
      if (queued.has(k) || this.pending.isRejected(id) || (await this.known(ctx, id))) return;
      queued.add(k);
      queue.push(id);
    };
    for (const id of ids) await want(id);
    let fetched = 0;
    for (let round = 1; queue.length > 0; round++) {
      if (round > MAX_ROUNDS) {
        this.d.logger.warn({ context: encodeId(ctx), peer, fetched, left: queue.length }, 'catch-up: stopping after the maximum number of rounds');
        break;
      }
      let inRound = 0;
      while (queue.length > 0 && inRound < MAX_FETCH) {
        const batch = queue.splice(0, Math.min(FETCH_BATCH, MAX_FETCH - inRound));
        const got = await this.d.protocol().requestDeltas(ctx, peer, batch);
        inRound += batch.length;
        fetched += got.length;
        for (const { delta, raw } of got) {
          if (!sameId(delta.contextId, ctx)) continue;
          await this.hold({ delta, raw, peer, at: Date.now() });
        }
        for (const id of batch) queued.delete(idKey(id));
        for (const { delta } of got) for (const p of delta.parents) await want(p);
        if (queue.length > MAX_QUEUED) {
          this.d.logger.warn({ context: encodeId(ctx), peer, fetched, left: queue.length }, 'catch-up: too many unknown entries at once; stopping this walk');
          this.d.onFetched(fetched);
          return fetched;
        }
      }
      if (queue.length > 0) {
        this.d.logger.info({ context: encodeId(ctx), peer, round, fetched, left: queue.length }, 'catch-up: another round');
        await this.d.drain(ctx);
      }
    }
    this.d.onFetched(fetched);
    return fetched;
  }

  /** Applies the spooled entries of `ctx` that are ready (after the spills under way have landed). */
  async drainSpool(ctx: Uint8Array, ...ops: DrainOps): Promise<void> {
    await Promise.allSettled([...this.spilling]);
    await this.spool.drain(ctx, ...ops);
  }

  /** Drops what a context has waiting (it was left or deleted). */
  async forget(ctx: Uint8Array): Promise<void> {
    this.pending.forget(ctx);
    await this.spool.forget(ctx);
  }

  /** Resolves once the spills under way have landed. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.spilling]);
  }
}
