/**
 * Blobs that applications share through a context (docs/network.md, "Application blobs").
 *
 * A blob the guest created and announced to its context (`blob_announce_to_context`), or one uploaded with
 * `PUT /admin-api/blobs?context_id=`, is recorded here as shared with that context, and the context's peers are told
 * on its gossip topic that this node holds it. A member node that needs such a blob (the app opens it, or
 * `GET /admin-api/blobs/:id?context_id=` misses it) fetches it on demand from the context's peers over the sync
 * stream protocol: it tries the peers that announced the blob first, then the other peers on the topic. The bytes
 * are streamed into the blob store, capped in size, and kept only if they hash to the requested id.
 *
 * Who may fetch what: a node serves a blob to a peer only when the peer proves membership of the context
 * (protocol.ts) and this node recorded the blob as shared with that context: it announced the blob there itself or
 * fetched it for that context. A peer's announcement only says where to look; it never makes a local blob
 * shareable, so a member cannot pull an unrelated blob of this node by naming its id.
 *
 * Records (this module is their only writer), in the `generic` column:
 *   "sync/blobs/" ‖ context id[32] ‖ blob id[32] → JSON {size, at: ms since epoch}
 * Like peers.ts they stay out of the `config` column, which snapshots copy to joiners: what one node shares is
 * not part of the context's replicated state.
 */
import type { Logger } from 'pino';
import type { Store } from '../../store/store.ts';
import { concat, encodeId, idKey } from '../../util/ids.ts';
import { Channel } from '../../util/channel.ts';
import type { Network } from '../../network/index.ts';
import { BlobError, type BlobStore } from '../blobs.ts';
import type { Contexts } from '../contexts.ts';
import type { Metrics } from '../metrics.ts';
import { encodeGossip } from './codec.ts';
import type { PeerProtocol } from './protocol.ts';

const SCOPE = new TextEncoder().encode('sync/blobs/');
/** Announcements remembered (oldest forgotten first), and peers remembered per announced blob. */
const MAX_HINTS = 4096;
const MAX_HINT_PEERS = 8;
/** Peers asked for one blob before giving up. */
const MAX_TRIES = 8;
/** Default cap of a fetched blob (the upload cap's default, `[server.limits] blob_limit_bytes`). */
export const DEFAULT_FETCH_LIMIT = 1024 * 1024 * 1024;

export type FetchOutcome = 'fetched' | 'missing' | 'invalid' | 'failed' | 'not_member';

export interface AppBlobsDeps {
  store: Store;
  blobs: BlobStore;
  contexts: Contexts;
  logger: Logger;
  metrics?: Metrics;
  network(): Network | null;
  protocol(): PeerProtocol;
  /** Time one fetch may take in all (its peers share it). */
  timeoutMs: number;
  /** Largest blob fetched from a peer. */
  limitBytes?: number;
}

function recordKey(ctx: Uint8Array, blobId: Uint8Array): Uint8Array {
  return concat(SCOPE, ctx, blobId);
}

class NotServed extends Error {}

export class AppBlobs {
  /** Peers that announced a blob of a context, newest announcement last (bounded). */
  private readonly hints = new Map<string, string[]>();
  /** One fetch per context and blob at a time; later callers wait for it. */
  private readonly inflight = new Map<string, Promise<boolean>>();

  constructor(private readonly d: AppBlobsDeps) {}

  /** Whether this node shares the blob with the members of `ctx` (announced or fetched there). */
  async serves(ctx: Uint8Array, blobId: Uint8Array): Promise<boolean> {
    return this.d.store.has('generic', recordKey(ctx, blobId));
  }

  /**
   * Shares a stored blob with the members of `ctx` and tells the context's peers. Only for a context in which this
   * node owns an identity; false (and nothing recorded) otherwise or when the blob is not stored.
   */
  async announce(ctx: Uint8Array, blobId: Uint8Array): Promise<boolean> {
    const info = await this.d.blobs.info(blobId);
    const log = { context: encodeId(ctx), blob: encodeId(blobId) };
    if (!info) return false;
    if ((await this.d.contexts.identities(ctx, true)).length === 0) {
      this.d.logger.warn(log, 'not announcing a blob to a context this node is not a member of');
      return false;
    }
    await this.record(ctx, blobId, info.size);
    const net = this.d.network();
    if (net) {
      const recipients = await net.publish(encodeId(ctx), encodeGossip({ type: 'blob', contextId: ctx, blobId, size: info.size }));
      this.d.logger.info({ ...log, size: info.size, recipients }, 'blob announced to the context');
    }
    return true;
  }

  /** A peer announced that it holds a blob of `ctx` (gossip): it is asked first when the blob is wanted. */
  hint(ctx: Uint8Array, blobId: Uint8Array, from: string): void {
    if (!from) return;
    const key = idKey(ctx) + idKey(blobId);
    const peers = (this.hints.get(key) ?? []).filter((p) => p !== from);
    peers.push(from);
    this.hints.delete(key);
    this.hints.set(key, peers.slice(-MAX_HINT_PEERS));
    if (this.hints.size > MAX_HINTS) this.hints.delete(this.hints.keys().next().value!);
  }

  /**
   * Makes sure the blob is stored here, fetching it from a member peer of `ctx` when it is missing. Resolves to
   * whether it is stored once the fetch ends or `waitMs` passed (a fetch still running then goes on, bounded by
   * its own timeout, and later callers join it). Never throws: failures are logged and counted.
   */
  async ensure(ctx: Uint8Array, blobId: Uint8Array, waitMs = this.d.timeoutMs): Promise<boolean> {
    if (await this.d.blobs.info(blobId)) return true;
    const key = idKey(ctx) + idKey(blobId);
    let fetch = this.inflight.get(key);
    if (!fetch) {
      fetch = this.fetch(ctx, blobId)
        .catch((err: Error) => {
          this.d.logger.warn({ context: encodeId(ctx), blob: encodeId(blobId), err: err.message }, 'blob fetch failed');
          return false;
        })
        .finally(() => this.inflight.delete(key));
      this.inflight.set(key, fetch);
    }
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), waitMs)));
    try {
      return await Promise.race([fetch, waited]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async fetch(ctx: Uint8Array, blobId: Uint8Array): Promise<boolean> {
    const log = { context: encodeId(ctx), blob: encodeId(blobId) };
    const started = Date.now();
    const done = (outcome: FetchOutcome, extra: Record<string, unknown> = {}, level: 'info' | 'warn' | 'debug' = 'warn'): boolean => {
      this.d.metrics?.blobFetches.inc({ outcome });
      const ok = outcome === 'fetched';
      this.d.logger[ok ? 'info' : level]({ ...log, ...extra, ms: Date.now() - started }, ok ? 'fetched a blob from a peer' : `blob fetch: ${outcome}`);
      return ok;
    };
    if ((await this.d.contexts.identities(ctx, true)).length === 0) return done('not_member');
    const net = this.d.network();
    const hinted = this.hints.get(idKey(ctx) + idKey(blobId)) ?? [];
    const candidates = net ? [...new Set([...[...hinted].reverse(), ...net.topicPeers(encodeId(ctx))])].slice(0, MAX_TRIES) : [];
    // No peer to ask (a single node, or none reachable): the blob is simply missing, as without sharing.
    if (candidates.length === 0) return done('missing', { peers: 0 }, 'debug');
    const deadline = started + this.d.timeoutMs;
    let outcome: FetchOutcome = 'missing';
    for (const peer of candidates) {
      const left = deadline - Date.now();
      if (left <= 0) return done('failed', { reason: 'timed out' });
      try {
        const size = await this.fetchFrom(ctx, peer, blobId, left);
        await this.record(ctx, blobId, size);
        return done('fetched', { peer, size });
      } catch (err) {
        if (err instanceof NotServed) continue;
        const invalid = err instanceof BlobError;
        if (invalid) outcome = 'invalid';
        else if (outcome === 'missing') outcome = 'failed';
        this.d.logger.warn({ ...log, peer, err: (err as Error).message }, invalid ? 'a peer served a blob that was refused' : 'fetching a blob from a peer failed');
      }
    }
    return done(outcome, { peers: candidates.length });
  }

  /** Streams the blob from one peer into the store; throws NotServed when the peer does not serve it. */
  private async fetchFrom(ctx: Uint8Array, peer: string, blobId: Uint8Array, timeoutMs: number): Promise<number> {
    const chunks = new Channel<Uint8Array>();
    const stored = this.d.blobs.put(chunks, { limit: this.d.limitBytes ?? DEFAULT_FETCH_LIMIT, expectedId: blobId });
    const received = this.d
      .protocol()
      .streamBlob(ctx, peer, blobId, (data) => chunks.push(data), timeoutMs)
      .then(
        (found) => (found ? chunks.end() : chunks.fail(new NotServed())),
        (err: unknown) => {
          chunks.fail(err);
          throw err;
        },
      );
    const [info] = await Promise.all([stored, received]);
    return info.size;
  }

  private async record(ctx: Uint8Array, blobId: Uint8Array, size: number): Promise<void> {
    await this.d.store.put('generic', recordKey(ctx, blobId), JSON.stringify({ size, at: Date.now() }));
  }
}
