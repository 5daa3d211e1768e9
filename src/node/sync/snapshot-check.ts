/**
 * The checks a joiner makes on a member's snapshot before it becomes the context's state (pure: no store, no
 * network). A snapshot arrives as a stream of record frames (config, then delta, then state, each column in key
 * order), so the checks run as the frames come (`SnapshotCheck.take`) and hold only what the final verdict
 * needs (`SnapshotCheck.finish`): the membership sets, the membership and proposal records and the bodies of
 * non-state entries. Stamps, state records and entries known by id pass through to the store. What the checks
 * cover and what they cannot is described at `Snapshots.join`.
 */
import { encodeId, idKey, sameId } from '../../util/ids.ts';
import { addDigest, entryDigest } from '../contexts.ts';
import { decodeDelta, type Delta, type SnapshotColumn, type SnapshotMeta } from './codec.ts';
import { canonical, checkMembershipHistory, entryRecord, type Membership } from './membership.ts';
import { setHash } from './memberships.ts';
import { parsePeerJson, peerMembership, peerMembershipSet } from './peer-data.ts';
import { TAG, type Row } from './records.ts';
import { proposalRecord } from '../proposals/rules.ts';

export interface Snapshot {
  cols: Record<SnapshotColumn, Row[]>;
  meta: SnapshotMeta;
}

export class SnapshotError extends Error {
  constructor(message: string) {
    super(`snapshot: ${message}`);
  }
}

/** The order in which a snapshot's columns are sent (config first: it names the entries whose bodies come). */
export const SNAPSHOT_FRAME_ORDER: SnapshotColumn[] = ['config', 'delta', 'state'];

/** What the checker may hold in memory for a snapshot (sets, membership/proposal records and bodies). */
export const MAX_HELD_BYTES = 64 << 20;

/** What the final checks need about one head, read from the stored snapshot rows. */
export interface HeadInfo {
  /** Hash (hex) of the head's membership set, if its setOf record came. */
  setOf: string | undefined;
  /** The head's body, if it came (a head must carry its body). */
  body: Delta | null;
}

/**
 * Checks a snapshot frame by frame. `take` refuses (throws SnapshotError) a frame out of column or key order,
 * an unknown record kind, a malformed set or entry, and returns the rows to store now (all but the membership
 * record, which `finish` hands back to be stored with the context's new meta). `finish` checks the whole.
 */
export class SnapshotCheck {
  private column = 0;
  private last: Uint8Array | null = null;
  private held = 0;
  private readonly sets = new Map<string, string[]>();
  /** The distinct sets the setOf records point at. */
  private readonly setTargets = new Set<string>();
  private readonly entryRows: Row[] = [];
  private readonly proposalRows: Row[] = [];
  private membershipRow: Row | null = null;
  private readonly bodies = new Map<string, Delta>();
  /** The running digest of the state records (the sum of their entry digests, and their size). */
  stateSum = '0';
  stateSize = 0;
  readonly counts: Record<SnapshotColumn, number> = { config: 0, delta: 0, state: 0 };

  constructor(
    private readonly ctx: Uint8Array,
    private readonly maxHeld = MAX_HELD_BYTES,
  ) {}

  private hold(bytes: number): void {
    this.held += bytes;
    if (this.held > this.maxHeld) throw new SnapshotError(`the records to check exceed ${this.maxHeld} bytes`);
  }

  /** Checks one frame's rows of `column`; returns the rows to store now. */
  take(column: SnapshotColumn, rows: Row[]): Row[] {
    const at = SNAPSHOT_FRAME_ORDER.indexOf(column);
    if (at < this.column) throw new SnapshotError('columns out of order');
    if (at > this.column) {
      this.column = at;
      this.last = null;
    }
    const out: Row[] = [];
    for (const r of rows) {
      if (this.last && Buffer.compare(r.key, this.last) <= 0) throw new SnapshotError('records out of order');
      this.last = r.key;
      this.counts[column]++;
      if (column === 'config') {
        if (this.config(r)) out.push(r);
      } else if (column === 'delta') {
        this.entry(r);
        out.push(r);
      } else {
        this.stateSum = addDigest(this.stateSum, entryDigest(r.key, r.value), 1);
        this.stateSize += r.key.length + r.value.length;
        out.push(r);
      }
    }
    return out;
  }

  /** One config record; false for the membership record (held until `finish`). */
  private config(r: Row): boolean {
    const tag = r.key[0];
    const rest = r.key.length - 1;
    if (tag === TAG.membership && rest === 0) {
      this.hold(r.value.length);
      this.membershipRow = r;
      return false;
    }
    if (tag === TAG.set && rest === 32) {
      const content = parsePeerJson(peerMembershipSet, r.value);
      const h = idKey(r.key.subarray(1));
      if (!content || setHash([...content].sort()) !== h) throw new SnapshotError('a membership set does not match its hash');
      this.hold(r.value.length + 64);
      this.sets.set(h, content);
    } else if (tag === TAG.setOf && rest === 32) {
      const h = idKey(r.value);
      if (!this.setTargets.has(h)) {
        this.hold(96);
        this.setTargets.add(h);
      }
    } else if (tag === TAG.entry && rest === 32) {
      this.hold(r.key.length + r.value.length);
      this.entryRows.push(r);
    } else if (tag === TAG.proposal && rest === 32) {
      this.hold(r.key.length + r.value.length);
      this.proposalRows.push(r);
    } else if (tag !== TAG.stamp || rest === 0) throw new SnapshotError('unknown record');
    return true;
  }

  /** One entry of the DAG: its body (when sent) must match its id and context; non-state bodies are held. */
  private entry(r: Row): void {
    if (r.key.length !== 32) throw new SnapshotError('bad entry id');
    if (r.value.length === 0) return;
    const d = decodeDelta(r.value);
    if (!sameId(d.id, r.key) || !sameId(d.contextId, this.ctx)) throw new SnapshotError('entry does not match its id');
    if (d.payload.type === 'state') return;
    this.hold(r.value.length * 2);
    this.bodies.set(idKey(d.id), d);
  }

  /**
   * The membership sets taken so far must be well formed: each naming only entries of `history` (the membership
   * entries), every setOf record pointing at a set that came, and the heads' sets (`setOf` of a head) together
   * covering every membership entry (each one is an ancestor of some head). Throws SnapshotError otherwise.
   */
  checkSets(history: Delta[], heads: Uint8Array[], setOf: (head: Uint8Array) => string | undefined): void {
    const ids = new Set(history.map((d) => idKey(d.id)));
    for (const content of this.sets.values()) if (content.some((id) => !ids.has(id))) throw new SnapshotError('a membership set names an unknown entry');
    for (const h of this.setTargets) if (!this.sets.has(h)) throw new SnapshotError('an entry points at a missing membership set');
    const covered = new Set<string>();
    for (const h of heads) for (const id of this.sets.get(setOf(h) ?? '') ?? []) covered.add(id);
    if (covered.size !== ids.size) throw new SnapshotError('the heads do not cover the membership entries');
  }

  /**
   * The final verdict: the membership entries authorise one another from a genesis signed by the context key and
   * produce the membership the peer sent; the sets are well formed and the heads' sets cover every membership
   * entry; proposal records match their entries; every head has its body; the state records produce the
   * peer's digest. Returns the membership and its record (to store).
   */
  finish(meta: SnapshotMeta, heads: Map<string, HeadInfo>): { membership: Membership; membershipRow: Row } {
    const history: Delta[] = [];
    for (const r of this.entryRows) {
      const d = this.bodies.get(idKey(r.key.subarray(1)));
      if (!d) throw new SnapshotError('membership record without its entry');
      if (Buffer.from(r.value).toString('utf8') !== JSON.stringify(entryRecord(d))) throw new SnapshotError('membership record does not match its entry');
      history.push(d);
    }
    this.checkSets(history, meta.heads, (h) => heads.get(idKey(h))?.setOf);
    for (const r of this.proposalRows) {
      const d = this.bodies.get(idKey(r.key.subarray(1)));
      if (!d || d.payload.type !== 'proposal') throw new SnapshotError('proposal record without its entry');
      if (Buffer.from(r.value).toString('utf8') !== JSON.stringify(proposalRecord(d))) throw new SnapshotError('proposal record does not match its entry');
    }
    const m = checkMembershipHistory(this.ctx, history);
    const sent = this.membershipRow ? parsePeerJson(peerMembership, this.membershipRow.value) : null;
    if (!m || !sent || canonical(sent) !== canonical(m)) throw new SnapshotError('membership does not follow from its entries');
    if (encodeId(meta.applicationId) !== m.applicationId) throw new SnapshotError('application differs from the membership');
    for (const h of meta.heads) if (!heads.get(idKey(h))?.body) throw new SnapshotError('a head without its entry');
    if (BigInt('0x' + this.stateSum) !== BigInt('0x' + (meta.stateSum || '0')) || this.stateSize !== meta.sizeInBytes) {
      throw new SnapshotError('state does not match its digest');
    }
    return { membership: m, membershipRow: this.membershipRow! };
  }
}

/** Rows in key order, as a member sends them. */
function sorted(rows: Row[]): Row[] {
  return [...rows].sort((a, b) => Buffer.compare(a.key, b.key));
}

/** Hash (hex) of the membership set of `id` named by the config records, if any. */
function setOfIn(config: Row[], id: Uint8Array): string | undefined {
  const r = config.find((x) => x.key[0] === TAG.setOf && x.key.length === 33 && sameId(x.key.subarray(1), id));
  return r ? idKey(r.value) : undefined;
}

/**
 * The membership-set checks of a snapshot's config records alone (`history`: its membership entries; `heads`:
 * the entries whose sets must cover them). Throws SnapshotError when the sets are malformed.
 */
export function checkSets(config: Row[], history: Delta[], heads: Uint8Array[]): void {
  const c = new SnapshotCheck(new Uint8Array(32));
  c.take('config', sorted(config));
  c.checkSets(history, heads, (h) => setOfIn(config, h));
}

/**
 * Checks a whole snapshot held in memory (repair.ts compares a peer's state this way): the checks of
 * `SnapshotCheck` over its columns. Returns the membership and the bodies of the heads by id (hex).
 */
export function checkSnapshot(ctx: Uint8Array, snap: Snapshot): { membership: Membership; heads: Map<string, HeadInfo> } {
  const c = new SnapshotCheck(ctx);
  for (const col of SNAPSHOT_FRAME_ORDER) c.take(col, sorted(snap.cols[col]));
  const heads = new Map<string, HeadInfo>();
  for (const h of snap.meta.heads) {
    const raw = snap.cols.delta.find((r) => sameId(r.key, h))?.value;
    heads.set(idKey(h), { setOf: setOfIn(snap.cols.config, h), body: raw && raw.length > 0 ? decodeDelta(raw) : null });
  }
  return { membership: c.finish(snap.meta, heads).membership, heads };
}
