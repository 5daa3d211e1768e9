/**
 * Why two nodes that applied the same entries of an upstream-built app can report different root hashes, as
 * far as the node can see it in what a replay (`__calimero_sync_next`) wrote. Pure: bytes in, a finding out.
 *
 * calimero-storage (core 8ebbec038 … 0.10.0) leaves structure on the replaying node that the origin never had,
 * in two ways (docs/network.md, "Root hashes"):
 * - `replay_born_entity`: the replay created an entity the artifact does not name. sync_test's G-`Counter`
 *   builds its unused `negative` map with a fresh random id each time it is deserialized, and the replay of
 *   the app's root state deserializes it; that map is stored as a new child of the root on this node only.
 * - `duplicate_child`: a parent index lists one child twice. `ChildInfo` sorts by (created_at, id), so when
 *   an `Add` of an id this node already holds arrives with another `created_at` (two nodes inserted the same
 *   key concurrently), `BTreeSet::replace` misses the old entry and keeps both; the parent's full hash then
 *   counts the child twice.
 * Both are inherent in calimero-storage and stay in the state; no order of applying removes them.
 */
import { createHash } from 'node:crypto';
import { decodeArtifact, decodeEntityIndex } from './artifact.ts';
import { ArtifactError } from './borsh.ts';
import type { Artifact, EntityIndex } from './types.ts';

export type ReplayNoiseKind = 'replay_born_entity' | 'duplicate_child';

export interface ReplayNoise {
  kind: ReplayNoiseKind;
  /** The entity concerned: the one born in the replay, or the parent that lists a child twice. */
  entity: Uint8Array;
}

/** calimero-storage's key of an entity's index record (`Key::Index`) or data (`Key::Entry`): sha256(tag ‖ id). */
export function storageKey(kind: 'index' | 'entry', id: Uint8Array): Uint8Array {
  return createHash('sha256')
    .update(Uint8Array.of(kind === 'index' ? 0 : 1))
    .update(id)
    .digest();
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** The ids an artifact names: its actions' entities and their ancestors. */
function namedIds(artifact: Artifact): Set<string> {
  const ids = new Set<string>();
  if (artifact.delta.kind === 'Comparisons') {
    for (const c of artifact.delta.comparisons) {
      ids.add(hex(c.comparisonData.id));
      for (const a of c.comparisonData.ancestors) ids.add(hex(a.id));
      for (const [, list] of c.comparisonData.children) for (const ch of list) ids.add(hex(ch.id));
    }
    return ids;
  }
  for (const a of artifact.delta.actions) {
    ids.add(hex(a.id));
    if (a.kind === 'Add' || a.kind === 'Update') for (const anc of a.ancestors) ids.add(hex(anc.id));
  }
  return ids;
}

/** The write as an index record (its value decodes as `EntityIndex` and the key is that entity's index key). */
function asIndex(key: Uint8Array, value: Uint8Array, artifact: Artifact): EntityIndex | null {
  try {
    const index = decodeEntityIndex(value, artifact.layout);
    return hex(storageKey('index', index.id)) === hex(key) ? index : null;
  } catch (err) {
    if (err instanceof ArtifactError) return null;
    throw err;
  }
}

/**
 * What a replay of `artifactBytes` left that its origin does not hold, judged from the writes the replay made:
 * an index record of an entity the artifact does not name, or an index record listing a child twice. Null
 * when there is none, or when the artifact is not calimero-storage's (nothing to judge).
 */
export function replayNoise(artifactBytes: Uint8Array, writes: Iterable<{ key: Uint8Array; value: Uint8Array | null }>): ReplayNoise | null {
  let artifact: Artifact;
  try {
    artifact = decodeArtifact(artifactBytes);
  } catch (err) {
    if (err instanceof ArtifactError) return null;
    throw err;
  }
  const named = namedIds(artifact);
  for (const w of writes) {
    if (!w.value) continue;
    const index = asIndex(w.key, w.value, artifact);
    if (!index) continue;
    if (!named.has(hex(index.id))) return { kind: 'replay_born_entity', entity: index.id };
    const seen = new Set<string>();
    for (const child of index.children ?? []) {
      const k = hex(child.id);
      if (seen.has(k)) return { kind: 'duplicate_child', entity: index.id };
      seen.add(k);
    }
  }
  return null;
}
