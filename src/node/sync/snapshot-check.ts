/**
 * The checks a joiner makes on a member's snapshot before storing it (pure: no store, no network). What they
 * cover and what they cannot is described at `Snapshots.join`.
 */
import { idKey, sameId } from '../../util/ids.ts';
import { decodeDelta, type Delta, type SnapshotColumn, type SnapshotMeta } from './codec.ts';
import { canonical, checkMembershipHistory, entryRecord, type Membership } from './membership.ts';
import { setHash } from './memberships.ts';
import { parsePeerJson, peerMembership, peerMembershipSet } from './peer-data.ts';
import { TAG, type Row } from './records.ts';
import { encodeId } from '../../util/ids.ts';
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

/**
 * The snapshot's membership sets (which membership entries lie in each entry's causal past) must be well
 * formed: only known record kinds; each set stored under the hash of its content and naming only entries of the
 * snapshot; every "set of" pointing at a stored set; and the heads' sets together covering every membership entry
 * (each one is an ancestor of some head). Throws otherwise.
 */
export function checkSets(config: Row[], history: Delta[], heads: Uint8Array[]): void {
  const ids = new Set(history.map((d) => idKey(d.id)));
  const sets = new Map<string, string[]>();
  const setOf = new Map<string, string>();
  for (const r of config) {
    const tag = r.key[0];
    if (tag === TAG.set) {
      const content = parsePeerJson(peerMembershipSet, r.value);
      const h = idKey(r.key.subarray(1));
      if (!content || setHash([...content].sort()) !== h) throw new SnapshotError('a membership set does not match its hash');
      if (content.some((id) => !ids.has(id))) throw new SnapshotError('a membership set names an unknown entry');
      sets.set(h, content);
    } else if (tag === TAG.setOf) setOf.set(idKey(r.key.subarray(1)), idKey(r.value));
    else if (tag !== TAG.membership && tag !== TAG.stamp && tag !== TAG.entry && tag !== TAG.proposal) throw new SnapshotError('unknown record');
  }
  for (const h of setOf.values()) if (!sets.has(h)) throw new SnapshotError('an entry points at a missing membership set');
  const covered = new Set<string>();
  for (const head of heads) for (const id of sets.get(setOf.get(idKey(head)) ?? '') ?? []) covered.add(id);
  if (covered.size !== ids.size) throw new SnapshotError('the heads do not cover the membership entries');
}

/** Each proposal record must be the record of a proposal entry the snapshot carries. */
function checkProposalRecords(config: Row[], bodies: Map<string, Delta>): void {
  for (const r of config) {
    if (r.key[0] !== TAG.proposal) continue;
    const d = bodies.get(idKey(r.key.subarray(1)));
    if (!d || d.payload.type !== 'proposal') throw new SnapshotError('proposal record without its entry');
    if (Buffer.from(r.value).toString('utf8') !== JSON.stringify(proposalRecord(d))) throw new SnapshotError('proposal record does not match its entry');
  }
}

/**
 * Checks a snapshot of `ctx`: every entry body (id, signature, context); the membership entries authorise one
 * another from a genesis signed by the context key and produce the membership the peer sent; the sets are well
 * formed; every head has its body. Returns the membership and the entry bodies by id (hex); throws otherwise.
 */
export function checkSnapshot(ctx: Uint8Array, snap: Snapshot): { membership: Membership; bodies: Map<string, Delta> } {
  const { cols, meta } = snap;
  const bodies = new Map<string, Delta>();
  for (const r of cols.delta) {
    if (r.key.length !== 32) throw new SnapshotError('bad entry id');
    if (r.value.length === 0) continue;
    const d = decodeDelta(r.value);
    if (!sameId(d.id, r.key) || !sameId(d.contextId, ctx)) throw new SnapshotError('entry does not match its id');
    bodies.set(idKey(d.id), d);
  }
  const history: Delta[] = [];
  for (const r of cols.config) {
    if (r.key[0] !== TAG.entry) continue;
    const d = bodies.get(idKey(r.key.subarray(1)));
    if (!d || d.payload.type === 'state') throw new SnapshotError('membership record without its entry');
    if (Buffer.from(r.value).toString('utf8') !== JSON.stringify(entryRecord(d))) throw new SnapshotError('membership record does not match its entry');
    history.push(d);
  }
  checkSets(cols.config, history, meta.heads);
  checkProposalRecords(cols.config, bodies);
  const m = checkMembershipHistory(ctx, history);
  const sentRow = cols.config.find((r) => r.key.length === 1 && r.key[0] === TAG.membership);
  const sent = sentRow ? parsePeerJson(peerMembership, sentRow.value) : null;
  if (!m || !sent || canonical(sent) !== canonical(m)) throw new SnapshotError('membership does not follow from its entries');
  if (encodeId(meta.applicationId) !== m.applicationId) throw new SnapshotError('application differs from the membership');
  for (const h of meta.heads) if (!bodies.has(idKey(h))) throw new SnapshotError('a head without its entry');
  return { membership: m, bodies };
}
