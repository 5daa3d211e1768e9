/**
 * Binary encodings of the sync layer (docs/network.md): signed DAG entries ("deltas"), the gossip envelope,
 * the request/response messages of the sync stream protocol, the kv-store artifact and the invitation payload.
 *
 * Encodings are borsh-like (binary.ts). Our gossip messages start with a tag byte ≥ 0x10, which
 * upstream's borsh `BroadcastMessage` decoder (tags 0–3) rejects, so mixed meshes drop each other's messages
 * cleanly instead of misreading them.
 */
import { base58 } from '@scure/base';
import { hash } from '../../util/ids.ts';
import { CodecError, Reader, Writer } from './binary.ts';
import { edSign, edVerify } from '../../util/ed25519.ts';
import { decodeSignedOpen, encodeSignedOpen, type SignedOpen } from './open-invitation.ts';
import { decodeActions } from '../proposals/actions.ts';

export { CodecError, Reader, Writer, type CodecErrorCode } from './binary.ts';
export { edSign, edVerify } from '../../util/ed25519.ts';
export { Hlc } from './hlc.ts';

// ---- DAG entries ---------------------------------------------------------------------------------------------

export const Capability = { ManageApplication: 0, ManageMembers: 1, Proxy: 2 } as const;
export type CapabilityName = keyof typeof Capability;
export const CAPABILITY_NAMES = Object.keys(Capability) as CapabilityName[];

export type Ops = { kind: 'writes'; writes: Array<{ key: Uint8Array; value: Uint8Array | null }> } | { kind: 'artifact'; artifact: Uint8Array };

export interface AppInfo {
  applicationId: Uint8Array;
  bytecode: Uint8Array;
  size: number;
  source: string;
  metadata: Uint8Array;
  package: string;
  version: string;
}

export type Payload =
  /** First entry of a context: signed by the context key (author = context id). */
  | { type: 'genesis'; creator: Uint8Array; app: AppInfo; ops: Ops }
  | { type: 'state'; ops: Ops }
  | { type: 'member'; op: 'add' | 'remove' | 'grant' | 'revoke'; member: Uint8Array; capability: number }
  | { type: 'application'; app: AppInfo }
  /** The context's emulated proxy contract (src/node/proposals): `actions` is borsh Vec<ProposalAction>, empty for an approval. */
  | { type: 'proposal'; op: 'propose' | 'approve'; proposal: Uint8Array; actions: Uint8Array };

export interface Delta {
  contextId: Uint8Array;
  parents: Uint8Array[];
  hlc: bigint;
  author: Uint8Array;
  payload: Payload;
  /** JSON of the ExecutionEvents the author emitted (state deltas only). */
  events: Uint8Array | null;
  id: Uint8Array;
  signature: Uint8Array;
}

const MEMBER_OPS = ['add', 'remove', 'grant', 'revoke'] as const;

function writeOps(w: Writer, ops: Ops): void {
  if (ops.kind === 'writes') {
    w.u8(0).u32(ops.writes.length);
    for (const x of ops.writes) w.bytes(x.key).opt(x.value);
  } else w.u8(1).bytes(ops.artifact);
}

function readOps(r: Reader): Ops {
  const k = r.u8();
  if (k === 0) {
    const n = r.u32();
    const writes = [];
    for (let i = 0; i < n; i++) writes.push({ key: r.bytes(), value: r.opt() });
    return { kind: 'writes', writes };
  }
  if (k === 1) return { kind: 'artifact', artifact: r.bytes() };
  throw new CodecError('unknown_tag', 'unknown ops kind');
}

function writeApp(w: Writer, a: AppInfo): void {
  w.fixed(a.applicationId, 32).fixed(a.bytecode, 32).u64(BigInt(a.size)).str(a.source).bytes(a.metadata).str(a.package).str(a.version);
}

function readApp(r: Reader): AppInfo {
  return {
    applicationId: r.fixed(32),
    bytecode: r.fixed(32),
    size: Number(r.u64()),
    source: r.str(),
    metadata: r.bytes(),
    package: r.str(),
    version: r.str(),
  };
}

/** The signed part of a delta; id = sha256 of it, signature = ed25519(author, id). */
function body(d: Omit<Delta, 'id' | 'signature'>): Buffer {
  const w = new Writer().u8(1).fixed(d.contextId, 32).ids(d.parents).u64(d.hlc).fixed(d.author, 32);
  const p = d.payload;
  switch (p.type) {
    case 'genesis':
      w.u8(0).fixed(p.creator, 32);
      writeApp(w, p.app);
      writeOps(w, p.ops);
      break;
    case 'state':
      w.u8(1);
      writeOps(w, p.ops);
      break;
    case 'member':
      w.u8(2).u8(MEMBER_OPS.indexOf(p.op)).fixed(p.member, 32).u8(p.capability);
      break;
    case 'application':
      w.u8(3);
      writeApp(w, p.app);
      break;
    case 'proposal':
      w.u8(4).u8(p.op === 'propose' ? 0 : 1).fixed(p.proposal, 32).bytes(p.actions);
      break;
  }
  w.opt(d.events);
  return w.done();
}

export function makeDelta(d: Omit<Delta, 'id' | 'signature'>, signerSeed: Uint8Array): Delta {
  const id = hash(body(d));
  return { ...d, id, signature: edSign(signerSeed, id) };
}

export function encodeDelta(d: Delta): Buffer {
  return Buffer.concat([body(d), Buffer.from(d.signature)]);
}

/** Decodes and checks integrity (id) and authenticity (signature by `author`); throws CodecError otherwise. */
export function decodeDelta(buf: Uint8Array): Delta {
  if (buf.length < 64) throw new CodecError('truncated', 'truncated delta');
  const signed = buf.subarray(0, buf.length - 64);
  const signature = buf.slice(buf.length - 64);
  const r = new Reader(signed);
  if (r.u8() !== 1) throw new CodecError('unknown_tag', 'unknown delta version');
  const contextId = r.fixed(32);
  const parents = r.ids(MAX_IDS);
  const hlc = r.u64();
  const author = r.fixed(32);
  const tag = r.u8();
  let payload: Payload;
  if (tag === 0) {
    const creator = r.fixed(32);
    const app = readApp(r);
    payload = { type: 'genesis', creator, app, ops: readOps(r) };
  } else if (tag === 1) payload = { type: 'state', ops: readOps(r) };
  else if (tag === 2) {
    const op = MEMBER_OPS[r.u8()];
    if (!op) throw new CodecError('unknown_tag', 'unknown member op');
    payload = { type: 'member', op, member: r.fixed(32), capability: r.u8() };
  } else if (tag === 3) payload = { type: 'application', app: readApp(r) };
  else if (tag === 4) payload = readProposal(r);
  else throw new CodecError('unknown_tag', 'unknown payload type');
  const events = r.opt();
  r.end();
  const id = hash(signed);
  if (!edVerify(author, id, signature)) throw new CodecError('bad_signature', 'invalid delta signature');
  return { contextId, parents, hlc, author, payload, events, id, signature };
}

/** A proposal payload; the actions must decode exactly (an approval carries none). */
function readProposal(r: Reader): Payload {
  const op = ['propose', 'approve'][r.u8()] as 'propose' | 'approve' | undefined;
  if (!op) throw new CodecError('unknown_tag', 'unknown proposal op');
  const proposal = r.fixed(32);
  const actions = r.bytes();
  if (op === 'propose') decodeActions(actions);
  else if (actions.length > 0) throw new CodecError('trailing_bytes', 'an approval carries no actions');
  return { type: 'proposal', op, proposal, actions };
}

// ---- kv-store (our AssemblyScript SDK) artifact -------------------------------------------------------------------

/**
 * Parses the SDK's artifact (u32 count; per change u8 op 1 put / 2 remove, u32 key len, key, u32 value len, value;
 * little-endian); null when the bytes are not exactly that. Every local mutation of an upstream-built app asks
 * this of a calimero-storage artifact first, so a mismatch is found without throwing.
 */
export function parseSdkArtifact(a: Uint8Array): Array<{ key: Uint8Array; value: Uint8Array | null }> | null {
  const view = new DataView(a.buffer, a.byteOffset, a.byteLength);
  if (a.length < 4) return null;
  const n = view.getUint32(0, true);
  // Each change takes at least 9 bytes: a count beyond that cannot be ours (and would not be allocated for).
  if (n > (a.length - 4) / 9) return null;
  let off = 4;
  const field = (): Uint8Array | null => {
    if (off + 4 > a.length) return null;
    const len = view.getUint32(off, true);
    off += 4;
    if (len > a.length - off) return null;
    const out = a.slice(off, off + len);
    off += len;
    return out;
  };
  const out: Array<{ key: Uint8Array; value: Uint8Array | null }> = [];
  for (let i = 0; i < n; i++) {
    if (off >= a.length) return null;
    const op = a[off++]!;
    const key = field();
    const value = field();
    if (!key || !value || (op !== 1 && op !== 2)) return null;
    out.push({ key, value: op === 1 ? value : null });
  }
  return off === a.length ? out : null;
}

export function encodeSdkArtifact(ops: Array<{ key: Uint8Array; value: Uint8Array | null }>): Buffer {
  const w = new Writer().u32(ops.length);
  for (const o of ops) w.u8(o.value ? 1 : 2).bytes(o.key).bytes(o.value ?? new Uint8Array(0));
  return w.done();
}

// ---- gossip ---------------------------------------------------------------------------------------------------

/** Ids in one list on the wire (an entry's parents, heads, announcements): longer lists are refused. */
export const MAX_IDS = 1024;

export const GOSSIP_DELTA = 0x10;
export const GOSSIP_ANNOUNCE = 0x11;
export const GOSSIP_HEADS = 0x12;
export const GOSSIP_BLOB = 0x13;

export type Gossip =
  | { type: 'delta'; delta: Uint8Array }
  /** A delta too large for gossip (or a hint): receivers fetch it by id from the source peer. */
  | { type: 'announce'; contextId: Uint8Array; ids: Uint8Array[] }
  /**
   * Periodic heartbeat (upstream HashHeartbeat): root and heads; a peer missing heads syncs. `noisy` (a trailing
   * flags byte, bit 0, sent only when set) says the sender's root includes local-only structure (repair.ts).
   */
  | { type: 'heads'; contextId: Uint8Array; rootHash: Uint8Array; heads: Uint8Array[]; noisy?: boolean }
  /** The sender holds an application blob announced to the context (app-blobs.ts); receivers may fetch it from it. */
  | { type: 'blob'; contextId: Uint8Array; blobId: Uint8Array; size: number };

export function encodeGossip(g: Gossip): Buffer {
  if (g.type === 'delta') return Buffer.concat([Buffer.of(GOSSIP_DELTA), Buffer.from(g.delta)]);
  if (g.type === 'announce') return new Writer().u8(GOSSIP_ANNOUNCE).fixed(g.contextId, 32).ids(g.ids).done();
  if (g.type === 'blob') return new Writer().u8(GOSSIP_BLOB).fixed(g.contextId, 32).fixed(g.blobId, 32).u64(BigInt(g.size)).done();
  const w = new Writer().u8(GOSSIP_HEADS).fixed(g.contextId, 32).fixed(g.rootHash, 32).ids(g.heads);
  return (g.noisy ? w.u8(1) : w).done();
}

export function decodeGossip(buf: Uint8Array): Gossip {
  if (buf.length === 0) throw new CodecError('truncated', 'empty message');
  if (buf[0] === GOSSIP_DELTA) return { type: 'delta', delta: buf.subarray(1) };
  const r = new Reader(buf);
  const tag = r.u8();
  if (tag === GOSSIP_ANNOUNCE) {
    const g = { type: 'announce' as const, contextId: r.fixed(32), ids: r.ids(MAX_IDS) };
    r.end();
    return g;
  }
  if (tag === GOSSIP_HEADS) {
    const g = { type: 'heads' as const, contextId: r.fixed(32), rootHash: r.fixed(32), heads: r.ids(MAX_IDS), noisy: false };
    if (r.off < r.buf.length) {
      const flags = r.u8();
      if (flags > 1) throw new CodecError('unknown_tag', `unknown heads flags ${flags}`);
      g.noisy = flags === 1;
    }
    r.end();
    return g;
  }
  if (tag === GOSSIP_BLOB) {
    const g = { type: 'blob' as const, contextId: r.fixed(32), blobId: r.fixed(32), size: Number(r.u64()) };
    r.end();
    return g;
  }
  throw new CodecError('unknown_tag', `unknown gossip tag ${tag}`);
}

// ---- sync stream requests / responses -----------------------------------------------------------------------------

/**
 * Every request names the context and proves membership: `member` signs
 * "merod-sync-auth" ‖ contextId ‖ requester peer id ‖ responder peer id (both as UTF-8 strings).
 */
export interface Auth {
  contextId: Uint8Array;
  member: Uint8Array;
  signature: Uint8Array;
}

export type Request =
  | { type: 'heads'; auth: Auth }
  | { type: 'deltas'; auth: Auth; ids: Uint8Array[] }
  | { type: 'blob'; auth: Auth; blobId: Uint8Array }
  /** The context's records as they stand (for a joiner that has nothing yet). */
  | { type: 'snapshot'; auth: Auth }
  /**
   * A joiner with an open invitation (open-invitation.ts) asks the inviter's node to add it; `auth.member` is the
   * joiner's key, which is not a member yet: its signature only proves the joiner holds that key.
   */
  | { type: 'openJoin'; auth: Auth; invitation: SignedOpen };

/** Store columns a snapshot carries (keys without the context id in front). */
export const SNAPSHOT_COLUMNS = ['config', 'state', 'delta'] as const;
export type SnapshotColumn = (typeof SNAPSHOT_COLUMNS)[number];
export interface SnapshotMeta {
  rootHash: Uint8Array;
  heads: Uint8Array[];
  applicationId: Uint8Array;
  stateSum: string;
  sizeInBytes: number;
}

export type Response =
  | { type: 'heads'; rootHash: Uint8Array; heads: Uint8Array[] }
  /** One frame per requested id, in order; null = not found. */
  | { type: 'delta'; delta: Uint8Array | null }
  /** Blob bytes in chunks; the last frame has `last` set. */
  | { type: 'chunk'; data: Uint8Array; last: boolean; found: boolean }
  | { type: 'error'; message: string }
  /** Snapshot: records of one column (several frames), then `snapshotEnd`. */
  | { type: 'records'; column: SnapshotColumn; records: Array<{ key: Uint8Array; value: Uint8Array }> }
  | { type: 'snapshotEnd'; meta: SnapshotMeta };

export function authMessage(contextId: Uint8Array, requester: string, responder: string): Buffer {
  return Buffer.concat([Buffer.from('merod-sync-auth'), contextId, Buffer.from(requester), Buffer.from(responder)]);
}

export function encodeRequest(q: Request): Buffer {
  const w = new Writer();
  w.u8(['heads', 'deltas', 'blob', 'snapshot', 'openJoin'].indexOf(q.type));
  w.fixed(q.auth.contextId, 32).fixed(q.auth.member, 32).fixed(q.auth.signature, 64);
  if (q.type === 'deltas') w.ids(q.ids);
  if (q.type === 'blob') w.fixed(q.blobId, 32);
  if (q.type === 'openJoin') return Buffer.concat([w.done(), encodeSignedOpen(q.invitation)]);
  return w.done();
}

export function decodeRequest(buf: Uint8Array): Request {
  const r = new Reader(buf);
  const tag = r.u8();
  const auth = { contextId: r.fixed(32), member: r.fixed(32), signature: r.fixed(64) };
  let q: Request;
  if (tag === 0) q = { type: 'heads', auth };
  else if (tag === 1) q = { type: 'deltas', auth, ids: r.ids(4096) };
  else if (tag === 2) q = { type: 'blob', auth, blobId: r.fixed(32) };
  else if (tag === 3) q = { type: 'snapshot', auth };
  else if (tag === 4) q = { type: 'openJoin', auth, invitation: decodeSignedOpen(r) };
  else throw new CodecError('unknown_tag', 'unknown request');
  r.end();
  return q;
}

export function encodeResponse(s: Response): Buffer {
  const w = new Writer();
  switch (s.type) {
    case 'heads':
      return w.u8(0).fixed(s.rootHash, 32).ids(s.heads).done();
    case 'delta':
      return w.u8(1).opt(s.delta).done();
    case 'chunk':
      return w.u8(2).u8(s.found ? 1 : 0).u8(s.last ? 1 : 0).bytes(s.data).done();
    case 'error':
      return w.u8(3).str(s.message).done();
    case 'records':
      w.u8(4).u8(SNAPSHOT_COLUMNS.indexOf(s.column)).u32(s.records.length);
      for (const rec of s.records) w.bytes(rec.key).bytes(rec.value);
      return w.done();
    case 'snapshotEnd':
      return w.u8(5).fixed(s.meta.rootHash, 32).ids(s.meta.heads).fixed(s.meta.applicationId, 32).str(s.meta.stateSum).u64(BigInt(s.meta.sizeInBytes)).done();
  }
}

export function decodeResponse(buf: Uint8Array): Response {
  const r = new Reader(buf);
  const tag = r.u8();
  let s: Response;
  if (tag === 0) s = { type: 'heads', rootHash: r.fixed(32), heads: r.ids(MAX_IDS) };
  else if (tag === 1) s = { type: 'delta', delta: r.opt() };
  else if (tag === 2) {
    const found = r.u8() === 1;
    const last = r.u8() === 1;
    s = { type: 'chunk', found, last, data: r.bytes() };
  } else if (tag === 3) s = { type: 'error', message: r.str() };
  else if (tag === 4) {
    const column = SNAPSHOT_COLUMNS[r.u8()];
    if (!column) throw new CodecError('unknown_tag', 'unknown snapshot column');
    const n = r.u32();
    const records: Array<{ key: Uint8Array; value: Uint8Array }> = [];
    for (let i = 0; i < n; i++) records.push({ key: r.bytes(), value: r.bytes() });
    s = { type: 'records', column, records };
  } else if (tag === 5) {
    s = { type: 'snapshotEnd', meta: { rootHash: r.fixed(32), heads: r.ids(MAX_IDS), applicationId: r.fixed(32), stateSum: r.str(), sizeInBytes: Number(r.u64()) } };
  } else throw new CodecError('unknown_tag', 'unknown response');
  r.end();
  return s;
}

// ---- invitation payload (docs/network.md, invitation payload) --------------------------------------------

/**
 * base58(borsh{context_id, invitee_id, protocol, network, contract_id}) exactly as upstream. With no chain,
 * `protocol` is "p2p", `network` is the inviter's peer id and `contract_id` its swarm addresses (comma
 * separated), so the invitee knows whom to dial.
 */
export interface Invitation {
  contextId: Uint8Array;
  invitee: Uint8Array;
  protocol: string;
  network: string;
  contractId: string;
}

export function encodeInvitation(i: Invitation): string {
  return base58.encode(new Writer().fixed(i.contextId, 32).fixed(i.invitee, 32).str(i.protocol).str(i.network).str(i.contractId).done());
}

export function decodeInvitation(s: string): Invitation {
  let raw: Uint8Array;
  try {
    raw = base58.decode(s);
  } catch {
    throw new CodecError('not_base58', 'invalid invitation payload: not base58');
  }
  const r = new Reader(raw);
  const i = { contextId: r.fixed(32), invitee: r.fixed(32), protocol: r.str(), network: r.str(), contractId: r.str() };
  r.end();
  return i;
}
