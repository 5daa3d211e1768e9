import { ed25519 } from '@noble/curves/ed25519.js';
import { chacha12 } from '@noble/ciphers/chacha.js';
import { randomBytes } from 'node:crypto';
import { Batch, type Store } from '../store/store.ts';
import { concat, decodeId, encodeId, hash, isZero, ZERO32 } from '../util/ids.ts';
import { DomainError } from '../util/errors.ts';
import { KeyedMutex } from '../util/mutex.ts';

/** A context's meta (upstream's ContextMeta plus bookkeeping), ids as bytes. Stored as JSON by `Contexts` only. */
export interface ContextMeta {
  applicationId: Uint8Array;
  rootHash: Uint8Array;
  /** Heads of the context's DAG (sorted); empty for a context from before the sync layer. */
  dagHeads: Uint8Array[];
  /** Bytes of state (keys + values) — what `/storage` reports. */
  sizeInBytes: number;
  /** Sum mod 2^256 of sha256(entry) over all state entries (hex): the host's order-independent state digest. */
  stateSum: string;
  createdAt: number;
}

/** The stored form of ContextMeta (JSON, base58 ids, heads as byte arrays): what the `meta` column holds. */
interface StoredMeta {
  applicationId: string;
  rootHash: string;
  dagHeads: number[][];
  sizeInBytes: number;
  stateSum: string;
  createdAt: number;
}

function encodeMeta(m: ContextMeta): string {
  const stored: StoredMeta = {
    applicationId: encodeId(m.applicationId),
    rootHash: encodeId(m.rootHash),
    dagHeads: m.dagHeads.map((h) => [...h]),
    sizeInBytes: m.sizeInBytes,
    stateSum: m.stateSum,
    createdAt: m.createdAt,
  };
  return JSON.stringify(stored);
}

/** Decoded meta and identity records by the stored Buffer they came from (the store's read cache keeps it alive). */
const decodedMeta = new WeakMap<Buffer, ContextMeta>();
const decodedIdentity = new WeakMap<Buffer, IdentityRecord>();

/**
 * A stored record decoded once: the store hands out the same Buffer until the record is written again. Each caller
 * gets its own shallow copy (some assign fields before staging a new record); what is inside is never changed.
 */
function decodedOnce<T extends object>(memo: WeakMap<Buffer, T>, raw: Buffer, decode: (json: string) => T): T {
  let v = memo.get(raw);
  if (!v) memo.set(raw, (v = decode(raw.toString('utf8'))));
  return { ...v };
}

function decodeMeta(json: string): ContextMeta {
  const s = JSON.parse(json) as StoredMeta;
  return {
    applicationId: decodeId(s.applicationId),
    rootHash: decodeId(s.rootHash),
    dagHeads: s.dagHeads.map((h) => Uint8Array.from(h)),
    sizeInBytes: s.sizeInBytes,
    stateSum: s.stateSum,
    createdAt: s.createdAt,
  };
}

/** Meta of a context this node knows of but holds nothing of yet (joining): no application, uninitialised root. */
export function placeholderMeta(): ContextMeta {
  return { applicationId: ZERO32, rootHash: ZERO32, dagHeads: [], sizeInBytes: 0, stateSum: '0', createdAt: Date.now() };
}

export interface IdentityRecord {
  privateKey?: string;
  senderKey?: string;
}

export interface ContextView {
  id: string;
  applicationId: string;
  rootHash: string;
  dagHeads?: number[][];
}

/** Why a context operation failed (statuses: src/server/errors.ts). */
export type ContextErrorCode =
  | 'context_not_found'
  | 'application_not_found'
  | 'context_exists'
  | 'no_free_context_id'
  | 'init_failed'
  | 'identity_not_owned'
  | 'identity_not_in_pool'
  | 'not_allowed'
  | 'entry_refused'
  | 'invalid_invitation'
  | 'inviter_unreachable'
  | 'swarm_not_running';

export class ContextError extends DomainError<ContextErrorCode> {}

/** Alias kinds, as upstream's key prefix (docs/internals.md). */
export const ALIAS_KIND = { context: 1, identity: 2, application: 3 } as const;
export type AliasKind = keyof typeof ALIAS_KIND;

export function contextKey(contextId: Uint8Array, sub: Uint8Array): Uint8Array {
  return concat(contextId, sub);
}

const MOD = 1n << 256n;

export function entryDigest(key: Uint8Array, value: Uint8Array): bigint {
  const len = Buffer.alloc(4);
  len.writeUInt32LE(key.length);
  return BigInt('0x' + Buffer.from(hash(len, key, value)).toString('hex'));
}

/** root = sha256(contextId ‖ stateSum): deterministic for a given state, never all-zero in practice. */
export function hostRoot(contextId: Uint8Array, stateSum: bigint): Uint8Array {
  const sum = Buffer.from(stateSum.toString(16).padStart(64, '0'), 'hex');
  return hash(contextId, sum);
}

export function addDigest(sum: string, d: bigint, sign: 1 | -1): string {
  const cur = BigInt('0x' + (sum || '0'));
  const next = (((cur + BigInt(sign) * d) % MOD) + MOD) % MOD;
  return next.toString(16);
}

/**
 * Context secret from a 32-byte seed the way upstream does it: rand 0.8's StdRng (ChaCha12) seeded with it
 * fills the 32-byte Ed25519 secret, so the first 32 keystream bytes of ChaCha12(key=seed, nonce=0) are the key.
 */
export function seededSecret(seed: Uint8Array): Uint8Array {
  return chacha12(seed, new Uint8Array(12), new Uint8Array(32));
}

export function newKeypair(secret: Uint8Array = randomBytes(32)): { secret: Uint8Array; publicKey: Uint8Array } {
  return { secret, publicKey: ed25519.getPublicKey(secret) };
}

/**
 * Context records: meta, identities (owned and known), aliases. The only writer of the `meta` and `identity`
 * columns; others stage changes through it into a batch they commit. Execution lives in execution.ts.
 */
export class Contexts {
  /** Serialises alias creation per alias name, so two creations of one name cannot both find it free. */
  private readonly aliasLock = new KeyedMutex();

  constructor(private readonly store: Store) {}

  async meta(contextId: Uint8Array): Promise<ContextMeta | null> {
    const raw = await this.store.get('meta', contextId);
    return raw ? decodedOnce(decodedMeta, raw, decodeMeta) : null;
  }

  async exists(contextId: Uint8Array): Promise<boolean> {
    return this.store.has('meta', contextId);
  }

  static view(id: Uint8Array, meta: ContextMeta): ContextView {
    const v: ContextView = { id: encodeId(id), applicationId: encodeId(meta.applicationId), rootHash: encodeId(meta.rootHash) };
    if (meta.dagHeads.length > 0) v.dagHeads = meta.dagHeads.map((h) => [...h]);
    return v;
  }

  async list(): Promise<Array<{ id: Uint8Array; meta: ContextMeta }>> {
    const out = [];
    for await (const { key, value } of this.store.iterate('meta')) {
      out.push({ id: new Uint8Array(key), meta: decodeMeta(value.toString('utf8')) });
    }
    return out;
  }

  async identity(contextId: Uint8Array, publicKey: Uint8Array): Promise<IdentityRecord | null> {
    const raw = await this.store.get('identity', contextKey(contextId, publicKey));
    return raw ? decodedOnce(decodedIdentity, raw, (json) => JSON.parse(json) as IdentityRecord) : null;
  }

  /** Members of a context; `owned` limits to those whose private key this node holds. */
  async identities(contextId: Uint8Array, owned = false): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    for await (const { key, value } of this.store.iterate('identity', { prefix: contextId })) {
      const rec = JSON.parse(value.toString('utf8')) as IdentityRecord;
      if (!owned || rec.privateKey) out.push(new Uint8Array(key.subarray(32)));
    }
    return out;
  }

  /** A fresh keypair in the identity pool (the zero context), for joining contexts later. */
  async generatePoolIdentity(): Promise<Uint8Array> {
    const kp = newKeypair();
    const rec: IdentityRecord = { privateKey: encodeId(kp.secret) };
    await this.store.put('identity', contextKey(ZERO32, kp.publicKey), JSON.stringify(rec));
    return kp.publicKey;
  }

  /**
   * Writes a new context: meta, the creator identity, and the state `init` produced — one commit per column
   * with the meta last, so a context is visible only once its state is in place.
   */
  async insert(
    contextId: Uint8Array,
    meta: ContextMeta,
    member: { publicKey: Uint8Array; secret: Uint8Array },
    state: Array<{ key: Uint8Array; value: Uint8Array }>,
    batch = new Batch(),
  ): Promise<void> {
    for (const { key, value } of state) batch.put('state', contextKey(contextId, key), value);
    const rec: IdentityRecord = { privateKey: encodeId(member.secret), senderKey: encodeId(newKeypair().secret) };
    batch.put('identity', contextKey(contextId, member.publicKey), JSON.stringify(rec));
    this.stageMeta(batch, contextId, meta);
    await this.store.commit(batch);
  }

  /** Stages a context's meta in a batch the caller commits (put last: the meta is the commit marker). */
  stageMeta(batch: Batch, contextId: Uint8Array, meta: ContextMeta): void {
    batch.put('meta', contextId, encodeMeta(meta));
  }

  /** Stages a member this node knows of (no keys) unless it already has a row. */
  async stageKnownMember(batch: Batch, contextId: Uint8Array, publicKey: Uint8Array): Promise<void> {
    if (!(await this.identity(contextId, publicKey))) batch.put('identity', contextKey(contextId, publicKey), '{}');
  }

  /**
   * Stages forgetting a member that left or was removed. A key this node holds goes back to the identity pool
   * (it can no longer act in the context, and is claimed again if the context adds it back).
   */
  async stageForgetMember(batch: Batch, contextId: Uint8Array, publicKey: Uint8Array): Promise<void> {
    const ident = await this.identity(contextId, publicKey);
    if (!ident) return;
    batch.delete('identity', contextKey(contextId, publicKey));
    if (ident.privateKey) batch.put('identity', contextKey(ZERO32, publicKey), JSON.stringify({ privateKey: ident.privateKey } satisfies IdentityRecord));
  }

  /** Stages a member added to a context: claimed from the pool when this node holds its key, else known. */
  async stageAddedMember(batch: Batch, contextId: Uint8Array, publicKey: Uint8Array): Promise<void> {
    if (!(await this.stageClaimFromPool(batch, contextId, publicKey))) await this.stageKnownMember(batch, contextId, publicKey);
  }

  /**
   * Stages moving an identity out of the pool into a context being joined (with a sender key derived from
   * its secret and the context), and the context's placeholder meta if it has none. False when the pool has no
   * such key.
   */
  async stageClaimFromPool(batch: Batch, contextId: Uint8Array, publicKey: Uint8Array): Promise<boolean> {
    const pool = await this.identity(ZERO32, publicKey);
    if (!pool?.privateKey) return false;
    const rec: IdentityRecord = { privateKey: pool.privateKey, senderKey: encodeId(hash(decodeId(pool.privateKey), contextId)) };
    batch.delete('identity', contextKey(ZERO32, publicKey));
    batch.put('identity', contextKey(contextId, publicKey), JSON.stringify(rec));
    if (!(await this.exists(contextId))) this.stageMeta(batch, contextId, placeholderMeta());
    return true;
  }

  /** Deletes a context and everything under it in one atomic batch. Use Execution.deleteContext (under the context's lock). */
  async delete(contextId: Uint8Array): Promise<boolean> {
    if (!(await this.exists(contextId))) return false;
    const batch = new Batch().delete('meta', contextId);
    await this.store.deletePrefix('state', contextId, batch);
    await this.store.deletePrefix('private_state', contextId, batch);
    await this.store.deletePrefix('identity', contextId, batch);
    // The sync layer's records (membership, LWW stamps, DAG): a later re-join replays the DAG from scratch.
    await this.store.deletePrefix('config', contextId, batch);
    await this.store.deletePrefix('delta', contextId, batch);
    await this.store.deletePrefix('alias', concat(Uint8Array.of(ALIAS_KIND.identity), contextId), batch);
    await this.store.commit(batch);
    return true;
  }

  /** Rewrites the context's record with another application; the caller holds the context's lock (a read-modify-write). */
  async setApplication(contextId: Uint8Array, applicationId: Uint8Array): Promise<void> {
    const meta = await this.meta(contextId);
    if (!meta) throw new ContextError('context_not_found', 'Context not found');
    meta.applicationId = applicationId;
    await this.store.put('meta', contextId, encodeMeta(meta));
  }

  // ---- aliases ----------------------------------------------------------------------------------------------

  private aliasKey(kind: AliasKind, scope: Uint8Array, name: string): Uint8Array {
    return concat(Uint8Array.of(ALIAS_KIND[kind]), scope, Buffer.from(name, 'utf8'));
  }

  async createAlias(kind: AliasKind, scope: Uint8Array, name: string, target: Uint8Array): Promise<boolean> {
    const key = this.aliasKey(kind, scope, name);
    return this.aliasLock.run(Buffer.from(key).toString('base64'), async () => {
      if (await this.store.has('alias', key)) return false;
      await this.store.put('alias', key, target);
      return true;
    });
  }

  async lookupAlias(kind: AliasKind, scope: Uint8Array, name: string): Promise<Uint8Array | null> {
    const v = await this.store.get('alias', this.aliasKey(kind, scope, name));
    return v ? new Uint8Array(v) : null;
  }

  async deleteAlias(kind: AliasKind, scope: Uint8Array, name: string): Promise<void> {
    await this.store.delete('alias', this.aliasKey(kind, scope, name));
  }

  /** All aliases of a kind (and scope), sorted by name bytes as upstream's BTreeMap. */
  async listAliases(kind: AliasKind, scope: Uint8Array): Promise<Record<string, string>> {
    const prefix = concat(Uint8Array.of(ALIAS_KIND[kind]), scope);
    const out: Record<string, string> = {};
    for await (const { key, value } of this.store.iterate('alias', { prefix })) {
      out[key.subarray(prefix.length).toString('utf8')] = encodeId(value);
    }
    return out;
  }
}

export function isUninitialized(meta: ContextMeta): boolean {
  return isZero(meta.rootHash);
}
