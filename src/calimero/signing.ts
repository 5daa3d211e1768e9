/**
 * Signatures of user-owned storage actions, as upstream's node and calimero-storage compute and check them.
 *
 * calimero-storage marks an action on an entity owned by the executor with `StorageType::User{owner,
 * signature_data: Some({signature: [0; 64], nonce})}`: a placeholder the node must replace with the executor's
 * ed25519 signature over `payloadForSigning(action)` before it stores and broadcasts the delta. A receiver's
 * calimero-storage (inside `__calimero_sync_next`) refuses a user action that is unsigned, replays an old
 * nonce, changes the owner, or whose signature does not verify; the guest then traps.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { edPublicKey, edSign } from '../util/ed25519.ts';
import { decodeArtifact, encodeArtifact, encodeStorageType, type DecodeOptions } from './artifact.ts';
import { ArtifactError } from './borsh.ts';
import type { Action, Metadata, MetadataLayout, StorageType } from './types.ts';

const enc = new TextEncoder();
const PREFIX = { upsert: enc.encode('v1_upsert'), delete: enc.encode('v1_delete'), compare: enc.encode('v1_compare') };

function u64le(n: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, n, true);
  return b;
}

/** The storage type as hashed for signing: a user signature is replaced by zeros, its nonce is kept. */
function unsignedStorageType(s: StorageType): StorageType {
  if (s.kind !== 'User' || !s.signatureData) return s;
  return { ...s, signatureData: { signature: new Uint8Array(64), nonce: s.signatureData.nonce } };
}

function hashMetadata(h: ReturnType<typeof sha256.create>, m: Metadata): void {
  h.update(u64le(m.createdAt));
  h.update(u64le(m.updatedAt));
  h.update(encodeStorageType(unsignedStorageType(m.storageType)));
}

/**
 * upstream `Action::payload_for_signing`: SHA-256 over a version prefix and the content of the action.
 * - Add/Update: `"v1_upsert" ‖ id ‖ data ‖ (ancestor id ‖ ancestor merkle_hash)* ‖ M`
 * - DeleteRef: `"v1_delete" ‖ id ‖ u64le(deleted_at) ‖ M`
 * - Compare: `"v1_compare" ‖ id`
 * where `M = u64le(created_at) ‖ u64le(updated_at) ‖ borsh(storage_type with the signature zeroed)`.
 * `crdt_type`, `field_name` and the ancestors' metadata are not covered.
 */
export function payloadForSigning(action: Action): Uint8Array {
  const h = sha256.create();
  switch (action.kind) {
    case 'Compare':
      h.update(PREFIX.compare);
      h.update(action.id);
      break;
    case 'DeleteRef':
      h.update(PREFIX.delete);
      h.update(action.id);
      h.update(u64le(action.deletedAt));
      hashMetadata(h, action.metadata);
      break;
    default:
      h.update(PREFIX.upsert);
      h.update(action.id);
      h.update(action.data);
      for (const a of action.ancestors) {
        h.update(a.id);
        h.update(a.merkleHash);
      }
      hashMetadata(h, action.metadata);
  }
  return h.digest();
}

const isPlaceholder = (sig: Uint8Array) => sig.every((b) => b === 0);

/** The nonce upstream's node puts on a user action: `updated_at` for Add/Update, `deleted_at` for DeleteRef. */
export function nonceOf(action: Exclude<Action, { kind: 'Compare' }>): bigint {
  return action.kind === 'DeleteRef' ? action.deletedAt : action.metadata.updatedAt;
}

/**
 * Whether upstream's node signs this action as `executor`: a non-Compare action on storage owned by the
 * executor whose signature data is present and still the all-zero placeholder.
 */
export function needsSignature(action: Action, executor: Uint8Array): boolean {
  if (action.kind === 'Compare') return false;
  const s = action.metadata.storageType;
  return s.kind === 'User' && s.signatureData !== null && bytesEqual(s.owner, executor) && isPlaceholder(s.signatureData.signature);
}

/**
 * upstream `sign_user_actions`: returns a copy of `actions` where every action `needsSignature` for the key's
 * public key carries `nonce = nonceOf(action)` and `signature = ed25519(secret, payloadForSigning(action))`.
 * Other actions (public, frozen, someone else's, already signed, unsigned without signature data) are kept as
 * they are. `secret` is the executor's 32-byte ed25519 seed.
 *
 * The payload is hashed after the nonce is set, so the signature always covers the nonce that is sent.
 * (Upstream hashes before it re-sets the nonce; the two agree whenever calimero-storage already put
 * `updated_at`/`deleted_at` there, which it does for every placeholder it creates.)
 */
export function signUserActions(actions: readonly Action[], secret: Uint8Array): { actions: Action[]; signed: number } {
  if (secret.length !== 32) throw new ArtifactError('invalid_value', `an ed25519 secret key has 32 bytes, got ${secret.length}`);
  const executor = edPublicKey(secret);
  let signed = 0;
  const out = actions.map((action): Action => {
    if (action.kind === 'Compare' || !needsSignature(action, executor)) return action;
    const storageType = action.metadata.storageType as Extract<StorageType, { kind: 'User' }>;
    const unsigned: Action = {
      ...action,
      metadata: { ...action.metadata, storageType: { ...storageType, signatureData: { signature: new Uint8Array(64), nonce: nonceOf(action) } } },
    };
    const signature = edSign(secret, payloadForSigning(unsigned));
    signed++;
    return { ...unsigned, metadata: { ...unsigned.metadata, storageType: { ...storageType, signatureData: { signature, nonce: nonceOf(action) } } } };
  });
  return { actions: out, signed };
}

/**
 * Signs the user actions of an encoded `commit` artifact and re-encodes it in the same layout. An empty
 * artifact (no delta) and a `Comparisons` delta come back unchanged, as upstream leaves them. Throws
 * `ArtifactError` when the artifact does not decode exactly.
 */
export function signArtifact(
  artifact: Uint8Array,
  secret: Uint8Array,
  options: DecodeOptions = {},
): { artifact: Uint8Array; signed: number; layout: MetadataLayout | null } {
  if (artifact.length === 0) return { artifact, signed: 0, layout: null };
  const decoded = decodeArtifact(artifact, options);
  if (decoded.delta.kind !== 'Actions') return { artifact, signed: 0, layout: decoded.layout };
  const { actions, signed } = signUserActions(decoded.delta.actions, secret);
  if (signed === 0) return { artifact, signed, layout: decoded.layout };
  return { artifact: encodeArtifact({ layout: decoded.layout, delta: { kind: 'Actions', actions } }), signed, layout: decoded.layout };
}

export type VerifyFailure =
  /** A user action without signature data. */
  | 'unsigned'
  /** The nonce is not above the entity's last `updated_at`. */
  | 'nonce_replay'
  /** The action changes the entity's owner, or deletes user data without being a user action. */
  | 'owner_mismatch'
  /** The signature does not verify for the owner's key. */
  | 'invalid_signature'
  /** An update that turns the entity into another storage type (e.g. User into Public). */
  | 'storage_type_changed'
  /** A delete of an entity the receiver does not have. */
  | 'not_found';

/**
 * What a receiver's calimero-storage checks on one incoming action before applying it (`Interface::
 * apply_action` / `verify_action_update`), limited to user ownership and signatures. `existing` is the
 * receiver's current metadata of the entity (null when it has none). Public and frozen actions pass here
 * (frozen immutability and the clock-drift check are outside this function).
 */
export function verifyAction(action: Action, existing: Metadata | null): { ok: true } | { ok: false; reason: VerifyFailure } {
  if (action.kind === 'Compare') return { ok: true };
  const s = action.metadata.storageType;
  const had = existing?.storageType;
  if (action.kind === 'DeleteRef') {
    if (!existing) return { ok: false, reason: 'not_found' };
    if (had?.kind !== 'User') return { ok: true };
    if (s.kind !== 'User' || !bytesEqual(s.owner, had.owner)) return { ok: false, reason: 'owner_mismatch' };
  } else {
    if (action.kind === 'Update' && had) {
      if (had.kind !== s.kind) return { ok: false, reason: 'storage_type_changed' };
      if (had.kind === 'User' && s.kind === 'User' && !bytesEqual(s.owner, had.owner)) return { ok: false, reason: 'owner_mismatch' };
    }
    if (s.kind !== 'User') return { ok: true };
  }
  if (!s.signatureData) return { ok: false, reason: 'unsigned' };
  if (s.signatureData.nonce <= (existing?.updatedAt ?? 0n)) return { ok: false, reason: 'nonce_replay' };
  let valid = false;
  try {
    valid = ed25519.verify(s.signatureData.signature, payloadForSigning(action), s.owner);
  } catch {
    valid = false; // a malformed key or signature is just an invalid signature
  }
  return valid ? { ok: true } : { ok: false, reason: 'invalid_signature' };
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
