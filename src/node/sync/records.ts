/**
 * Layout of the sync records in the `config` column: every key is contextId ‖ tag ‖ rest. Each kind has one
 * owner module that writes it; the others only read through that owner.
 *
 * | tag | record     | key rest            | value                                   | owner             |
 * |-----|------------|---------------------|-----------------------------------------|-------------------|
 * | 0   | membership | —                   | JSON Membership (the current view)      | memberships.ts    |
 * | 1   | stamp      | state key           | hlc (u64 BE) ‖ author ‖ entry id        | merge.ts          |
 * | 2   | set        | sha256 of content   | JSON array of membership entry ids (hex)| memberships.ts    |
 * | 3   | setOf      | entry id            | hash of the entry's membership set      | memberships.ts    |
 * | 4   | entry      | entry id            | JSON EntryRecord (a membership entry)   | memberships.ts    |
 * | 5   | failed     | entry id            | JSON FailureRecord (merge failed)       | failures.ts       |
 * | 6   | proposal   | entry id            | JSON ProposalRecord (proxy emulation)   | proposals/records.ts |
 *
 * Known peers are not here (snapshots copy these records to joiners): peers.ts keeps them in the `generic` column.
 * The `delta` column (contextId ‖ entry id → encoded entry, or empty for one known only by id after a
 * snapshot) is owned by dag.ts.
 */
import { concat } from '../../util/ids.ts';

export const TAG = { membership: 0, stamp: 1, set: 2, setOf: 3, entry: 4, failed: 5, proposal: 6 } as const;

export function membershipKey(ctx: Uint8Array): Uint8Array {
  return concat(ctx, Uint8Array.of(TAG.membership));
}
export function setKey(ctx: Uint8Array, h: Uint8Array): Uint8Array {
  return concat(ctx, Uint8Array.of(TAG.set), h);
}
export function setOfKey(ctx: Uint8Array, id: Uint8Array): Uint8Array {
  return concat(ctx, Uint8Array.of(TAG.setOf), id);
}
export function entryKey(ctx: Uint8Array, id: Uint8Array): Uint8Array {
  return concat(ctx, Uint8Array.of(TAG.entry), id);
}
export function proposalKey(ctx: Uint8Array, id: Uint8Array): Uint8Array {
  return concat(ctx, Uint8Array.of(TAG.proposal), id);
}
export function stampKey(ctx: Uint8Array, key: Uint8Array): Uint8Array {
  return concat(ctx, Uint8Array.of(TAG.stamp), key);
}

/** A record of a context's column with the context id taken off its key (as snapshots carry them). */
export interface Row {
  key: Uint8Array;
  value: Uint8Array;
}
