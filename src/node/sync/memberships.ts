/**
 * Causal membership sets, stored in the config column (records.ts): each applied entry points at the set of
 * membership entries in its causal past ("setOf"), sets are stored once under the hash of their content, and
 * each membership entry's effect is kept as an EntryRecord. The membership an entry is checked against is the
 * fold of its parents' sets (membership.ts). Owner of the membership, set, setOf and entry records.
 */
import type { Batch, Store } from '../../store/store.ts';
import { hash, idKey } from '../../util/ids.ts';
import type { Delta } from './codec.ts';
import { entryRecord, foldMembership, membershipFrom, type EntryRecord, type Membership } from './membership.ts';
import { entryKey, membershipKey, setKey, setOfKey, type Row } from './records.ts';
import { contextKey } from '../contexts.ts';
import type { AppInfo } from './codec.ts';

/** Hash (hex) of a set of membership entry ids: sha256 of the sorted ids joined by commas. */
export function setHash(sortedIds: string[]): string {
  return idKey(hash(Buffer.from(sortedIds.join(','))));
}

export class Memberships {
  private readonly setOfCache = new Map<string, string>();
  private readonly setCache = new Map<string, string[]>();
  private readonly entryCache = new Map<string, EntryRecord>();
  private readonly membershipCache = new Map<string, Membership>();

  constructor(private readonly store: Store) {}

  /** The context's current membership (of all its heads together); null before its genesis. */
  current(ctx: Uint8Array): Promise<Membership | null> {
    return this.store.getJson<Membership>('config', membershipKey(ctx));
  }

  /** Stages the current membership when it differs from `before`; true when it did. */
  stageCurrent(batch: Batch, ctx: Uint8Array, before: Membership | null, next: Membership): boolean {
    if (JSON.stringify(next) === JSON.stringify(before)) return false;
    batch.put('config', membershipKey(ctx), JSON.stringify(next));
    return true;
  }

  /** Stages the records of a genesis made here: the membership, its entry, its set. */
  stageGenesis(batch: Batch, ctx: Uint8Array, d: Delta, creator: Uint8Array, app: AppInfo): void {
    batch.put('config', membershipKey(ctx), JSON.stringify(membershipFrom(creator, app)));
    this.stageEntry(batch, ctx, d);
    this.stageSetOf(batch, ctx, d.id, this.storeSet(batch, ctx, [idKey(d.id)]));
  }

  /**
   * Stages the config records of a checked snapshot as sent (snapshot-check.ts): they become this node's
   * membership records and merge stamps.
   */
  stageSnapshot(batch: Batch, ctx: Uint8Array, rows: Row[]): void {
    for (const r of rows) batch.put('config', contextKey(ctx, r.key), r.value);
  }

  /** Stages a membership entry's record. */
  stageEntry(batch: Batch, ctx: Uint8Array, d: Delta): void {
    const rec = entryRecord(d);
    batch.put('config', entryKey(ctx, d.id), JSON.stringify(rec));
    this.entryCache.set(rec.id, rec);
  }

  /** Stages which membership set lies in an entry's causal past. */
  stageSetOf(batch: Batch, ctx: Uint8Array, id: Uint8Array, set: string): void {
    batch.put('config', setOfKey(ctx, id), Buffer.from(set, 'hex'));
    this.setOfCache.set(idKey(id), set);
  }

  /** The hash of an applied entry's membership set; null for an entry from before the sync layer. */
  async setOf(ctx: Uint8Array, id: Uint8Array): Promise<string | null> {
    const k = idKey(id);
    const cached = this.setOfCache.get(k);
    if (cached) return cached;
    const v = await this.store.get('config', setOfKey(ctx, id));
    if (!v) return null;
    const h = v.toString('hex');
    if (this.setOfCache.size > 200_000) this.setOfCache.clear();
    this.setOfCache.set(k, h);
    return h;
  }

  async loadSet(ctx: Uint8Array, h: string): Promise<string[]> {
    const cached = this.setCache.get(h);
    if (cached) return cached;
    const v = await this.store.getJson<string[]>('config', setKey(ctx, Buffer.from(h, 'hex')));
    if (!v) throw new Error(`membership set ${h} missing`);
    this.setCache.set(h, v);
    return v;
  }

  /** Stores a set of membership entry ids (sorted, deduplicated) and returns its hash. */
  storeSet(batch: Batch, ctx: Uint8Array, ids: string[]): string {
    const sorted = [...new Set(ids)].sort();
    const h = setHash(sorted);
    // Always written with the entry that needs it (a cached set may come from a batch that failed to commit).
    this.setCache.set(h, sorted);
    batch.put('config', setKey(ctx, Buffer.from(h, 'hex')), JSON.stringify(sorted));
    return h;
  }

  /** Union of the parents' membership sets (null when a parent has none: a pre-sync context). */
  async unionOfParents(batch: Batch, ctx: Uint8Array, parents: Uint8Array[]): Promise<string | null> {
    const hashes = new Set<string>();
    for (const p of parents) {
      const h = await this.setOf(ctx, p);
      if (!h) return null;
      hashes.add(h);
    }
    if (hashes.size <= 1) return hashes.values().next().value ?? null;
    const ids: string[] = [];
    for (const h of hashes) ids.push(...(await this.loadSet(ctx, h)));
    return this.storeSet(batch, ctx, ids);
  }

  /** The set of an entry that changes membership: its parents' set plus itself. */
  async extend(batch: Batch, ctx: Uint8Array, parentSet: string | null, id: Uint8Array): Promise<string> {
    const ids = parentSet ? [...(await this.loadSet(ctx, parentSet))] : [];
    ids.push(idKey(id));
    return this.storeSet(batch, ctx, ids);
  }

  async entry(ctx: Uint8Array, id: string): Promise<EntryRecord> {
    const cached = this.entryCache.get(id);
    if (cached) return cached;
    const v = await this.store.getJson<EntryRecord>('config', entryKey(ctx, Buffer.from(id, 'hex')));
    if (!v) throw new Error(`membership entry ${id} missing`);
    this.entryCache.set(id, v);
    return v;
  }

  /** Membership after the entries of a set, applied in (hlc, id) order (a topological order of the DAG). */
  async ofSet(ctx: Uint8Array, h: string | null): Promise<Membership | null> {
    if (!h) return null;
    const cached = this.membershipCache.get(h);
    if (cached) return structuredClone(cached);
    const m = foldMembership(await Promise.all((await this.loadSet(ctx, h)).map((id) => this.entry(ctx, id))));
    if (m) {
      if (this.membershipCache.size > 1000) this.membershipCache.clear();
      this.membershipCache.set(h, m);
    }
    return m ? structuredClone(m) : null;
  }

  /** Bytecode blob ids (base58) of every application the context has used (a joiner replays them all, in order). */
  async usedBytecodes(ctx: Uint8Array, heads: Uint8Array[]): Promise<Set<string>> {
    const ids = new Set<string>();
    for (const head of heads) {
      const h = await this.setOf(ctx, head);
      if (h) for (const id of await this.loadSet(ctx, h)) ids.add(id);
    }
    const out = new Set<string>();
    for (const id of ids) {
      const e = await this.entry(ctx, id);
      const app = e.genesis?.app ?? e.application?.app;
      if (app) out.add(app.bytecode);
    }
    return out;
  }
}
