/**
 * Typed values of calimero-storage's sync payload: the `commit` artifact an app hands to the host
 * (`StorageDelta`), its actions and their metadata. Field order and tags follow upstream's borsh derives
 * (`crates/storage/src/{action,entities,delta,integration}.rs`); ids and hashes are 32 raw bytes, timestamps
 * and nonces are u64 nanoseconds as bigint.
 */

/**
 * The byte layout of `Metadata`, which changed across calimero-storage versions. An app carries the version
 * it was built with, so one artifact uses one layout throughout:
 * - `plain`: `{created_at, updated_at, storage_type}` (e.g. the corpus kv_store.wasm, core 8ebbec038);
 * - `crdt`: plus `crdt_type: Option<CrdtType>` with the 7-variant enum (sync_test.wasm, core 41c4de6ef);
 * - `crdt+field`: plus `crdt_type` with the 10-variant enum and `field_name: Option<String>` (core 0.10.0).
 */
export type MetadataLayout = 'plain' | 'crdt' | 'crdt+field';

export const METADATA_LAYOUTS: readonly MetadataLayout[] = ['crdt+field', 'crdt', 'plain'];

/** `CrdtType` as of the `crdt` layout (`storage/src/collections/crdt_meta.rs`, borsh tags in this order). */
export type CrdtTypeV1 =
  | { kind: 'LwwRegister' }
  | { kind: 'Counter' }
  | { kind: 'Rga' }
  | { kind: 'UnorderedMap' }
  | { kind: 'UnorderedSet' }
  | { kind: 'Vector' }
  | { kind: 'Custom'; typeName: string };

/** `CrdtType` as of the `crdt+field` layout (`primitives/src/crdt.rs` at 0.10.0, borsh tags in this order). */
export type CrdtTypeV2 =
  | { kind: 'LwwRegister'; innerType: string }
  | { kind: 'GCounter' }
  | { kind: 'PnCounter' }
  | { kind: 'Rga' }
  | { kind: 'UnorderedMap'; keyType: string; valueType: string }
  | { kind: 'UnorderedSet'; elementType: string }
  | { kind: 'Vector'; elementType: string }
  | { kind: 'UserStorage' }
  | { kind: 'FrozenStorage' }
  | { kind: 'Custom'; name: string };

export type CrdtType = CrdtTypeV1 | CrdtTypeV2;

/**
 * The variants of `CrdtType` per layout, in tag order: the variant name, then the names of its string fields
 * (every field of every variant is a borsh String).
 */
export const CRDT_VARIANTS: Record<Exclude<MetadataLayout, 'plain'>, ReadonlyArray<readonly [string, ...string[]]>> = {
  crdt: [['LwwRegister'], ['Counter'], ['Rga'], ['UnorderedMap'], ['UnorderedSet'], ['Vector'], ['Custom', 'typeName']],
  'crdt+field': [
    ['LwwRegister', 'innerType'],
    ['GCounter'],
    ['PnCounter'],
    ['Rga'],
    ['UnorderedMap', 'keyType', 'valueType'],
    ['UnorderedSet', 'elementType'],
    ['Vector', 'elementType'],
    ['UserStorage'],
    ['FrozenStorage'],
    ['Custom', 'name'],
  ],
};

/** `SignatureData`: the owner's ed25519 signature and the nonce it covers. */
export interface SignatureData {
  signature: Uint8Array; // 64 bytes; all zero = the placeholder calimero-storage leaves for the node
  nonce: bigint;
}

/** `StorageType` (tags 0 Public, 1 User, 2 Frozen). */
export type StorageType =
  | { kind: 'Public' }
  | { kind: 'User'; owner: Uint8Array; signatureData: SignatureData | null }
  | { kind: 'Frozen' };

/**
 * `Metadata`. `crdtType` is present (null or a value) exactly in the `crdt` and `crdt+field` layouts and
 * `fieldName` exactly in `crdt+field`; in other layouts they are left out.
 */
export interface Metadata {
  createdAt: bigint;
  updatedAt: bigint;
  storageType: StorageType;
  crdtType?: CrdtType | null;
  fieldName?: string | null;
}

/** `ChildInfo`: an ancestor (or child) of an entity with its Merkle hash. */
export interface ChildInfo {
  id: Uint8Array;
  merkleHash: Uint8Array;
  metadata: Metadata;
}

/** `Action` (tags 0 Add, 1 Compare, 2 DeleteRef, 3 Update). */
export type Action =
  | { kind: 'Add' | 'Update'; id: Uint8Array; data: Uint8Array; ancestors: ChildInfo[]; metadata: Metadata }
  | { kind: 'Compare'; id: Uint8Array }
  | { kind: 'DeleteRef'; id: Uint8Array; deletedAt: bigint; metadata: Metadata };

/** `ComparisonData` (Merkle comparison of one entity); `children` keeps the borsh map's entries in order. */
export interface ComparisonData {
  id: Uint8Array;
  fullHash: Uint8Array;
  ownHash: Uint8Array;
  children: Array<[collection: string, children: ChildInfo[]]>;
  ancestors: ChildInfo[];
  metadata: Metadata;
}

/** `integration::Comparison`. */
export interface Comparison {
  data: Uint8Array | null;
  comparisonData: ComparisonData;
}

/** `StorageDelta` (tags 0 Actions, 1 Comparisons): what an app passes to `commit` as its artifact. */
export type StorageDelta = { kind: 'Actions'; actions: Action[] } | { kind: 'Comparisons'; comparisons: Comparison[] };

/** A decoded artifact with the metadata layout it was read with (and will be written with). */
export interface Artifact {
  layout: MetadataLayout;
  delta: StorageDelta;
}

/**
 * `EntityIndex`: what calimero-storage keeps under `Key::Index(id)` for every entity (the same fields at
 * core 8ebbec038, 41c4de6ef and 0.10.0): its parent, its children with their Merkle hashes and metadata, its
 * own hash (of its data) and full hash (own hash and the children's hashes, in the children's order).
 */
export interface EntityIndex {
  id: Uint8Array;
  parentId: Uint8Array | null;
  children: ChildInfo[] | null;
  fullHash: Uint8Array;
  ownHash: Uint8Array;
  metadata: Metadata;
  deletedAt: bigint | null;
}
