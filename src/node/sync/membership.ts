/**
 * The membership rules of a context, as pure functions over entries and records (no store, no network).
 *
 * A context's membership follows from its membership entries (genesis, member ops, application switches)
 * applied in (hlc, id) order. Every entry is authorised against the membership of its own causal past
 * (`refusal`), so the verdict is the same on every node whatever else it has applied meanwhile.
 */
import { decodeId, encodeId, idKey, sameId } from '../../util/ids.ts';
import type { ApplicationMeta } from '../applications.ts';
import { Capability, type AppInfo, type Delta } from './codec.ts';

/** The application a context runs, as the membership record stores it. */
export interface AppRecord {
  bytecode: string;
  size: number;
  source: string;
  metadata: number[];
  package: string;
  version: string;
}

/** Membership record of a context (the JSON the config column holds; see records.ts). */
export interface Membership {
  creator: string;
  applicationId: string;
  app: AppRecord;
  /** member public key (base58) → capability numbers. */
  members: Record<string, number[]>;
}

/** A membership entry's effect, stored apart from its body (records.ts: `entry`). */
export interface EntryRecord {
  /** The entry id, hex. */
  id: string;
  /** The entry's HLC, decimal. */
  hlc: string;
  genesis?: { creator: string; applicationId: string; app: AppRecord };
  member?: { op: 'add' | 'remove' | 'grant' | 'revoke'; member: string; capability: number };
  application?: { applicationId: string; app: AppRecord };
}

/** Why an entry may not be applied. */
export type RefusalCode =
  | 'genesis_not_by_context'
  | 'no_genesis'
  | 'second_genesis'
  | 'no_parents'
  | 'not_a_member'
  | 'may_not_manage_members'
  | 'may_not_manage_application'
  | 'invalid_events'
  | 'invalid_application'
  | 'unknown_context'
  | 'parents_missing'
  | 'failed';

/**
 * Refusals that say something about this node at this moment, not about the entry: the context is not here (not
 * yet, or deleted meanwhile), a parent is not applied after all (rolled back by an interrupted snapshot join), or
 * applying threw (an application module a peer could not serve in time). Such an entry is not remembered as refused:
 * a later sync fetches it again. Every other refusal follows from the entry and its ancestors alone, so it is the
 * same on every node and at every time, and is remembered (the entry is not fetched again).
 */
const PASSING: ReadonlySet<RefusalCode> = new Set(['unknown_context', 'parents_missing', 'failed']);

/** Whether a refusal is final (see {@link PASSING}). */
export function isFinal(o: ApplyOutcome): boolean {
  return !o.ok && !PASSING.has(o.refused);
}

/**
 * The result of applying (or checking) one entry. `failed`: the entry is applied (in the DAG, its membership
 * effects hold, its descendants may follow) but its state merge failed for that reason (failures.ts).
 */
export type ApplyOutcome = { ok: true; failed?: string } | { ok: false; refused: RefusalCode; detail?: string };

export const APPLIED: ApplyOutcome = { ok: true };

export function refused(code: RefusalCode, detail?: string): ApplyOutcome {
  return detail === undefined ? { ok: false, refused: code } : { ok: false, refused: code, detail };
}

/** The text of a refusal, for logs and for the client whose own entry was refused. */
export const REFUSAL_TEXT: Record<RefusalCode, string> = {
  genesis_not_by_context: 'genesis not signed by the context key',
  no_genesis: 'context has no genesis',
  second_genesis: 'a second genesis',
  no_parents: 'an entry without parents',
  not_a_member: 'author is not a member',
  may_not_manage_members: 'author may not manage members',
  may_not_manage_application: 'author may not manage the application',
  invalid_events: 'the entry carries invalid events',
  invalid_application: 'the application record does not hash to its id',
  unknown_context: 'unknown context',
  parents_missing: 'a parent is not applied',
  failed: 'failed',
};

export function refusalText(o: ApplyOutcome): string {
  if (o.ok) return 'applied';
  return o.detail === undefined ? REFUSAL_TEXT[o.refused] : `${REFUSAL_TEXT[o.refused]}: ${o.detail}`;
}

/** Capabilities of a context's creator. */
export const ALL_CAPS = [Capability.ManageApplication, Capability.ManageMembers, Capability.Proxy];

/** Whether `member` is a member of `m` (holding `cap`, when given). */
export function can(m: Membership | null, member: Uint8Array, cap?: number): boolean {
  const caps = m?.members[encodeId(member)];
  if (!caps) return false;
  return cap === undefined || caps.includes(cap);
}

/**
 * Why `d` may not be applied on top of membership `m` (the membership of its causal past; null before the
 * genesis), or null when it may. The one statement of the authorisation rules, for applied entries and snapshots.
 */
export function refusal(ctx: Uint8Array, m: Membership | null, d: Delta): RefusalCode | null {
  const p = d.payload;
  if (p.type === 'genesis') return sameId(d.author, ctx) && d.parents.length === 0 ? null : 'genesis_not_by_context';
  if (!m) return 'no_genesis';
  if (p.type === 'state' || p.type === 'proposal') return can(m, d.author) ? null : 'not_a_member';
  if (p.type === 'member') {
    const selfRemoval = p.op === 'remove' && sameId(p.member, d.author) && can(m, d.author);
    return can(m, d.author, Capability.ManageMembers) || selfRemoval ? null : 'may_not_manage_members';
  }
  return can(m, d.author, Capability.ManageApplication) ? null : 'may_not_manage_application';
}

/** Order of records in a fold: by hlc, then by entry id (a topological order of the DAG). */
export function byHlcThenId(a: { hlc: string; id: string }, b: { hlc: string; id: string }): number {
  const ha = BigInt(a.hlc);
  const hb = BigInt(b.hlc);
  if (ha !== hb) return ha < hb ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Membership after a set of membership entries, applied in (hlc, id) order (a topological order of the DAG). */
export function foldMembership(records: EntryRecord[]): Membership | null {
  let m: Membership | null = null;
  for (const e of [...records].sort(byHlcThenId)) {
    if (e.genesis) m = { creator: e.genesis.creator, applicationId: e.genesis.applicationId, app: e.genesis.app, members: { [e.genesis.creator]: [...ALL_CAPS] } };
    else if (!m) continue;
    else if (e.member) {
      const { op, member, capability } = e.member;
      if (op === 'add') m.members[member] ??= [];
      else if (op === 'remove') delete m.members[member];
      else if (m.members[member]) {
        const caps = new Set(m.members[member]);
        if (op === 'grant') caps.add(capability);
        else caps.delete(capability);
        m.members[member] = [...caps].sort();
      }
    } else if (e.application) {
      m.applicationId = e.application.applicationId;
      m.app = e.application.app;
    }
  }
  return m;
}

/**
 * Replays membership entries in (hlc, id) order, checking each one's authorisation against the membership before
 * it (`refusal`); null when one fails. This linear order is stricter than the causal check: with
 * concurrent revocations a valid history can fail it, and the joiner then replays the DAG instead.
 */
export function checkMembershipHistory(ctx: Uint8Array, entries: Delta[]): Membership | null {
  const sorted = [...entries].sort((a, b) => (a.hlc < b.hlc ? -1 : a.hlc > b.hlc ? 1 : Buffer.compare(a.id, b.id)));
  const done: EntryRecord[] = [];
  let m: Membership | null = null;
  for (const d of sorted) {
    if (d.payload.type === 'state' || d.payload.type === 'proposal' || (d.payload.type === 'genesis' && m) || refusal(ctx, m, d)) return null;
    done.push(entryRecord(d));
    m = foldMembership(done);
  }
  return m;
}

export function appRecord(a: AppInfo): AppRecord {
  return { bytecode: encodeId(a.bytecode), size: a.size, source: a.source, metadata: [...a.metadata], package: a.package, version: a.version };
}

/** The record of a membership entry (state entries have none: only id and hlc). */
export function entryRecord(d: Delta): EntryRecord {
  const r: EntryRecord = { id: idKey(d.id), hlc: d.hlc.toString() };
  const p = d.payload;
  if (p.type === 'genesis') r.genesis = { creator: encodeId(p.creator), applicationId: encodeId(p.app.applicationId), app: appRecord(p.app) };
  else if (p.type === 'member') r.member = { op: p.op, member: encodeId(p.member), capability: p.capability };
  else if (p.type === 'application') r.application = { applicationId: encodeId(p.app.applicationId), app: appRecord(p.app) };
  return r;
}

/** The membership a genesis creates. */
export function membershipFrom(creator: Uint8Array, app: AppInfo): Membership {
  return { creator: encodeId(creator), applicationId: encodeId(app.applicationId), app: appRecord(app), members: { [encodeId(creator)]: [...ALL_CAPS] } };
}

/** An installed application as the entries carry it. */
export function appInfo(id: Uint8Array, meta: ApplicationMeta): AppInfo {
  return {
    applicationId: id,
    bytecode: decodeId(meta.bytecode),
    size: meta.size,
    source: meta.source,
    metadata: Uint8Array.from(meta.metadata),
    package: meta.package,
    version: meta.version,
  };
}

/** The application of a membership record, as the entries carry it. */
export function appInfoOf(m: Membership): AppInfo {
  const a = m.app;
  return { applicationId: decodeId(m.applicationId), bytecode: decodeId(a.bytecode), size: a.size, source: a.source, metadata: Uint8Array.from(a.metadata), package: a.package, version: a.version };
}

/** JSON with object keys sorted (for comparing records built in different orders). */
export function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x));
}
