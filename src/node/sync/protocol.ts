/**
 * The sync stream protocol between members (docs/network.md): request/response over libp2p streams. Every
 * request proves membership (`Auth`); the responder answers heads, entries by id, blobs (application bytecode and
 * blobs announced to the context, see app-blobs.ts) and snapshots (the latter through snapshot.ts). Whatever a
 * peer sends is decoded by codec.ts, which refuses malformed frames; entries are checked against their id and
 * signature before use, blobs against their id.
 */
import type { Logger } from 'pino';
import type { Network } from '../../network/index.ts';
import { decodeId, encodeId, sameId, ZERO32 } from '../../util/ids.ts';
import type { BlobStore } from '../blobs.ts';
import type { Contexts } from '../contexts.ts';
import {
  authMessage,
  decodeDelta,
  decodeRequest,
  decodeResponse,
  edSign,
  edVerify,
  encodeRequest,
  encodeResponse,
  MAX_IDS,
  type Auth,
  type Delta,
  type Request,
  type Response,
} from './codec.ts';
import type { Dag } from './dag.ts';
import { can, type Membership } from './membership.ts';
import type { Memberships } from './memberships.ts';
import type { SignedOpen } from './open-invitation.ts';

const BLOB_CHUNK = 1 << 20;

export type Send = (frame: Uint8Array) => Promise<void>;

export interface ProtocolDeps {
  contexts: Contexts;
  memberships: Memberships;
  dag: Dag;
  blobs: BlobStore;
  logger: Logger;
  timeoutMs: number;
  /** The swarm, once attached. */
  network(): Network | null;
  /** Whether a blob was announced to `ctx` here, so its members may fetch it (app-blobs.ts). */
  servesBlob(ctx: Uint8Array, blobId: Uint8Array): Promise<boolean>;
  /** Streams a snapshot of `ctx` (snapshot.ts). */
  serveSnapshot(ctx: Uint8Array, send: Send): Promise<void>;
  /** Adds a joiner holding an open invitation (members.ts); the refusal's text, or null once it is a member. */
  acceptOpenJoin(ctx: Uint8Array, invitation: SignedOpen, joiner: Uint8Array): Promise<string | null>;
}

export class PeerProtocol {
  constructor(private readonly d: ProtocolDeps) {}

  private net(): Network {
    const net = this.d.network();
    if (!net) throw new Error('no network');
    return net;
  }

  /** Proof that we are a member: one of our identities signs the context and both peer ids. */
  private async auth(ctx: Uint8Array, peer: string): Promise<Auth> {
    const net = this.net();
    for (const pk of await this.d.contexts.identities(ctx, true)) {
      const rec = await this.d.contexts.identity(ctx, pk);
      if (!rec?.privateKey) continue;
      return { contextId: ctx, member: pk, signature: edSign(decodeId(rec.privateKey), authMessage(ctx, net.peerId, peer)) };
    }
    throw new Error('no owned identity in this context');
  }

  /**
   * Sends a request for `ctx` and hands each response frame to `onFrame` until it returns true. A peer's
   * error answer becomes an Error.
   */
  async request(
    ctx: Uint8Array,
    peer: string,
    make: (auth: Auth) => Request,
    onFrame: (r: Response, size: number) => boolean | Promise<boolean>,
    timeoutMs = this.d.timeoutMs,
    auth?: Auth,
  ): Promise<void> {
    const net = this.net();
    const req = encodeRequest(make(auth ?? (await this.auth(ctx, peer))));
    await net.request(peer, req, (f) => {
      const r = decodeResponse(f);
      if (r.type === 'error') throw new Error(`peer: ${r.message}`);
      return onFrame(r, f.length);
    }, timeoutMs);
  }

  async requestHeads(ctx: Uint8Array, peer: string): Promise<{ heads: Uint8Array[]; rootHash: Uint8Array }> {
    let out: { heads: Uint8Array[]; rootHash: Uint8Array } | null = null;
    await this.request(ctx, peer, (auth) => ({ type: 'heads', auth }), (r) => {
      if (r.type === 'heads') out = { heads: r.heads, rootHash: r.rootHash };
      return true;
    });
    if (!out) throw new Error('no heads');
    return out;
  }

  /** Entries by id; those the peer lacks, or sends broken or under another id, are left out. */
  async requestDeltas(ctx: Uint8Array, peer: string, ids: Uint8Array[]): Promise<Array<{ delta: Delta; raw: Uint8Array }>> {
    const out: Array<{ delta: Delta; raw: Uint8Array }> = [];
    let n = 0;
    await this.request(ctx, peer, (auth) => ({ type: 'deltas', auth, ids }), (r) => {
      if (r.type === 'delta' && r.delta) {
        try {
          const d = decodeDelta(r.delta);
          if (sameId(d.id, ids[n]!)) out.push({ delta: d, raw: r.delta });
        } catch (err) {
          this.d.logger.warn({ peer, err: (err as Error).message }, 'peer served an invalid delta');
        }
      }
      n++;
      return n >= ids.length;
    });
    return out;
  }

  /**
   * Asks the inviter's node to add `joiner` on the strength of an open invitation; `secret` (the joiner's key, not
   * yet a member, perhaps still in the pool) signs the request. Throws the peer's refusal as `peer: <text>`.
   */
  async requestOpenJoin(ctx: Uint8Array, peer: string, invitation: SignedOpen, joiner: Uint8Array, secret: Uint8Array): Promise<void> {
    const auth = { contextId: ctx, member: joiner, signature: edSign(secret, authMessage(ctx, this.net().peerId, peer)) };
    await this.request(ctx, peer, (a) => ({ type: 'openJoin', auth: a, invitation }), () => true, this.d.timeoutMs, auth);
  }

  /**
   * A whole blob in memory (application bytecode), at most `limit` bytes (the size its record declares): a peer
   * sending more is cut off. Throws when the peer does not have it.
   */
  async requestBlob(ctx: Uint8Array, peer: string, blobId: Uint8Array, limit: number): Promise<Buffer> {
    const parts: Uint8Array[] = [];
    let size = 0;
    const found = await this.streamBlob(ctx, peer, blobId, async (data) => {
      size += data.length;
      if (size > limit) throw new Error(`the peer sent more than the blob's ${limit} bytes`);
      parts.push(data);
    });
    if (!found) throw new Error('peer does not have the blob');
    return Buffer.concat(parts);
  }

  /**
   * Streams a blob from `peer` into `onChunk`, awaiting each call (backpressure). False when the peer does not
   * serve it (it lacks the blob, or the blob is neither the context's application nor announced to it); throws
   * when the peer ends the stream before the last chunk or answers something else.
   */
  async streamBlob(ctx: Uint8Array, peer: string, blobId: Uint8Array, onChunk: (data: Uint8Array) => Promise<void>, timeoutMs = 120_000): Promise<boolean> {
    let found = true;
    let complete = false;
    await this.request(ctx, peer, (auth) => ({ type: 'blob', auth, blobId }), async (r) => {
      if (r.type !== 'chunk') throw new Error(`peer answered a blob request with ${r.type}`);
      if (!r.found) {
        found = false;
        return true;
      }
      if (r.data.length > 0) await onChunk(r.data);
      complete = r.last;
      return r.last;
    }, timeoutMs);
    if (found && !complete) throw new Error('peer ended the blob stream early');
    return found;
  }

  // ---- responder ----------------------------------------------------------------------------------------------

  async serve(frame: Uint8Array, peer: string, send: Send): Promise<void> {
    let q: Request;
    try {
      q = decodeRequest(frame);
    } catch {
      await send(encodeResponse({ type: 'error', message: 'malformed request' }));
      return;
    }
    const ctx = q.auth.contextId;
    const net = this.net();
    if (q.type === 'openJoin') {
      const why = !edVerify(q.auth.member, authMessage(ctx, peer, net.peerId), q.auth.signature)
        ? 'the joiner does not hold its key'
        : await this.d.acceptOpenJoin(ctx, q.invitation, q.auth.member);
      const meta = why ? null : await this.d.contexts.meta(ctx);
      await send(encodeResponse(why ? { type: 'error', message: why } : { type: 'heads', rootHash: meta?.rootHash ?? ZERO32, heads: (meta?.dagHeads ?? []).slice(0, MAX_IDS) }));
      return;
    }
    const m = await this.d.memberships.current(ctx);
    if (!m || !can(m, q.auth.member) || !edVerify(q.auth.member, authMessage(ctx, peer, net.peerId), q.auth.signature)) {
      await send(encodeResponse({ type: 'error', message: 'not a member of this context' }));
      return;
    }
    if (q.type === 'heads') {
      const meta = await this.d.contexts.meta(ctx);
      await send(encodeResponse({ type: 'heads', rootHash: meta?.rootHash ?? ZERO32, heads: (meta?.dagHeads ?? []).slice(0, MAX_IDS) }));
    } else if (q.type === 'deltas') {
      // An entry known only by id (this node joined from a snapshot after it) is not served.
      for (const id of q.ids) await send(encodeResponse({ type: 'delta', delta: await this.d.dag.raw(ctx, id) }));
    } else if (q.type === 'snapshot') {
      await this.d.serveSnapshot(ctx, send);
    } else await this.serveBlob(ctx, m, q.blobId, send);
  }

  /**
   * A blob for a member: the context's application bytecode (current or used by an entry) or a blob announced to
   * the context (app-blobs.ts). Streamed as it is read from disk; the last frame is empty and has `last` set.
   */
  private async serveBlob(ctx: Uint8Array, m: Membership, blobId: Uint8Array, send: Send): Promise<void> {
    const blob = encodeId(blobId);
    const allowed =
      m.app.bytecode === blob ||
      (await this.d.servesBlob(ctx, blobId)) ||
      (await this.d.memberships.usedBytecodes(ctx, (await this.d.contexts.meta(ctx))?.dagHeads ?? [])).has(blob);
    const stream = allowed ? await this.d.blobs.stream(blobId) : null;
    if (!stream) {
      await send(encodeResponse({ type: 'chunk', found: false, last: true, data: new Uint8Array(0) }));
      return;
    }
    for await (const piece of stream as AsyncIterable<Buffer>) {
      for (let off = 0; off < piece.length; off += BLOB_CHUNK) {
        await send(encodeResponse({ type: 'chunk', found: true, last: false, data: piece.subarray(off, off + BLOB_CHUNK) }));
      }
    }
    await send(encodeResponse({ type: 'chunk', found: true, last: true, data: new Uint8Array(0) }));
  }
}
