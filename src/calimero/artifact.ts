/**
 * The borsh codec of the `commit` artifact (calimero-storage's `StorageDelta`).
 *
 * `decodeArtifact` accepts only exact parses: a truncated value, an unknown tag, a bad option byte, invalid
 * UTF-8 or any trailing byte is an `ArtifactError`, never a partial result. The metadata layout is not marked
 * in the bytes, so without a hint every layout is tried and the one that parses exactly wins.
 * `encodeArtifact(decodeArtifact(x))` reproduces `x` byte for byte.
 */
import { ArtifactError, BorshReader, BorshWriter } from './borsh.ts';
import {
  CRDT_VARIANTS,
  METADATA_LAYOUTS,
  type Action,
  type Artifact,
  type ChildInfo,
  type Comparison,
  type CrdtType,
  type EntityIndex,
  type Metadata,
  type MetadataLayout,
  type StorageDelta,
  type StorageType,
} from './types.ts';

const ACTION_KINDS = ['Add', 'Compare', 'DeleteRef', 'Update'] as const;
const STORAGE_KINDS = ['Public', 'User', 'Frozen'] as const;

// ---- decoding ----------------------------------------------------------------------------------------------

class ArtifactReader extends BorshReader {
  constructor(
    bytes: Uint8Array,
    readonly layout: MetadataLayout,
  ) {
    super(bytes);
  }

  id(what = 'id'): Uint8Array {
    return this.fixed(32, what);
  }

  crdtType(): CrdtType {
    const variants = CRDT_VARIANTS[this.layout as Exclude<MetadataLayout, 'plain'>];
    const [kind, ...fields] = variants[this.tag(variants.length, 'CrdtType')]!;
    const out: Record<string, string> = { kind };
    for (const f of fields) out[f] = this.string(`CrdtType::${kind}.${f}`);
    return out as unknown as CrdtType;
  }

  storageType(): StorageType {
    const kind = STORAGE_KINDS[this.tag(STORAGE_KINDS.length, 'StorageType')]!;
    if (kind !== 'User') return { kind };
    const owner = this.id('StorageType::User.owner');
    const signatureData = this.option(() => ({ signature: this.fixed(64, 'signature'), nonce: this.u64('nonce') }), 'SignatureData');
    return { kind, owner, signatureData };
  }

  metadata(): Metadata {
    const m: Metadata = { createdAt: this.u64('created_at'), updatedAt: this.u64('updated_at'), storageType: this.storageType() };
    if (this.layout !== 'plain') m.crdtType = this.option(() => this.crdtType(), 'CrdtType');
    if (this.layout === 'crdt+field') m.fieldName = this.option(() => this.string('field_name'), 'String');
    return m;
  }

  childInfo(): ChildInfo {
    return { id: this.id(), merkleHash: this.fixed(32, 'merkle_hash'), metadata: this.metadata() };
  }

  action(): Action {
    const kind = ACTION_KINDS[this.tag(ACTION_KINDS.length, 'Action')]!;
    const id = this.id();
    switch (kind) {
      case 'Compare':
        return { kind, id };
      case 'DeleteRef':
        return { kind, id, deletedAt: this.u64('deleted_at'), metadata: this.metadata() };
      default:
        return { kind, id, data: this.bytes('data'), ancestors: this.vec(() => this.childInfo(), 'ChildInfo'), metadata: this.metadata() };
    }
  }

  comparison(): Comparison {
    const data = this.option(() => this.bytes('data'), 'Vec<u8>');
    const id = this.id();
    const fullHash = this.fixed(32, 'full_hash');
    const ownHash = this.fixed(32, 'own_hash');
    const children = this.vec((): [string, ChildInfo[]] => [this.string('collection'), this.vec(() => this.childInfo(), 'ChildInfo')], 'children');
    for (let i = 1; i < children.length; i++) {
      if (compareUtf8(children[i - 1]![0], children[i]![0]) >= 0) {
        throw new ArtifactError('unsorted_map', `ComparisonData.children keys are not strictly ascending at entry ${i}`);
      }
    }
    const ancestors = this.vec(() => this.childInfo(), 'ChildInfo');
    return { data, comparisonData: { id, fullHash, ownHash, children, ancestors, metadata: this.metadata() } };
  }

  entityIndex(): EntityIndex {
    const id = this.id();
    const parentId = this.option(() => this.id('parent_id'), 'Option<Id>');
    const children = this.option(() => this.vec(() => this.childInfo(), 'ChildInfo'), 'Option<Vec<ChildInfo>>');
    const fullHash = this.fixed(32, 'full_hash');
    const ownHash = this.fixed(32, 'own_hash');
    const metadata = this.metadata();
    const deletedAt = this.option(() => this.u64('deleted_at'), 'Option<u64>');
    this.end();
    return { id, parentId, children, fullHash, ownHash, metadata, deletedAt };
  }

  storageDelta(): StorageDelta {
    const tag = this.tag(2, 'StorageDelta');
    const delta: StorageDelta =
      tag === 0 ? { kind: 'Actions', actions: this.vec(() => this.action(), 'Action') } : { kind: 'Comparisons', comparisons: this.vec(() => this.comparison(), 'Comparison') };
    this.end();
    return delta;
  }
}

/** Rust's `String` order (byte-wise on UTF-8), which borsh uses for `BTreeMap<String, _>` keys. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Whether any metadata occurs in the delta, i.e. whether the layout matters for its meaning. */
function hasMetadata(delta: StorageDelta): boolean {
  return delta.kind === 'Comparisons' ? delta.comparisons.length > 0 : delta.actions.some((a) => a.kind !== 'Compare');
}

export interface DecodeOptions {
  /** The layouts to try (default: all, newest first). A node that knows its app's layout passes just that one. */
  layouts?: readonly MetadataLayout[];
}

/**
 * Decodes a `commit` artifact. Throws `ArtifactError`: `empty_artifact` for zero bytes (no delta), the
 * closest layout's error when none parses exactly, `ambiguous_layout` when several layouts parse exactly and
 * the artifact carries metadata (so they would read it differently).
 */
export function decodeArtifact(bytes: Uint8Array, options: DecodeOptions = {}): Artifact {
  if (bytes.length === 0) throw new ArtifactError('empty_artifact', 'the artifact is empty');
  const layouts = options.layouts ?? METADATA_LAYOUTS;
  const parsed: Artifact[] = [];
  let best: { error: unknown; offset: number } | null = null;
  for (const layout of layouts) {
    const r = new ArtifactReader(bytes, layout);
    try {
      parsed.push({ layout, delta: r.storageDelta() });
    } catch (error) {
      if (!(error instanceof ArtifactError)) throw error;
      // Report the layout that read furthest; at a tie, one that read a whole artifact (only trailing bytes left).
      if (!best || r.offset > best.offset || (r.offset === best.offset && error.code === 'trailing_bytes')) best = { error, offset: r.offset };
    }
  }
  if (parsed.length === 0) {
    if (best) throw best.error;
    throw new ArtifactError('invalid_value', 'no metadata layout to decode with');
  }
  if (parsed.length > 1 && hasMetadata(parsed[0]!.delta)) {
    throw new ArtifactError('ambiguous_layout', `the artifact parses under the layouts ${parsed.map((p) => p.layout).join(', ')}`);
  }
  return parsed[0]!;
}

// ---- encoding ----------------------------------------------------------------------------------------------

class ArtifactWriter extends BorshWriter {
  constructor(readonly layout: MetadataLayout) {
    super();
  }

  id(id: Uint8Array, what = 'id'): this {
    return this.fixed(id, 32, what);
  }

  crdtType(t: CrdtType): void {
    const variants = CRDT_VARIANTS[this.layout as Exclude<MetadataLayout, 'plain'>];
    const tag = variants.findIndex(([kind]) => kind === t.kind);
    if (tag < 0) throw new ArtifactError('invalid_value', `CrdtType ${t.kind} does not exist in the ${this.layout} layout`);
    this.u8(tag);
    const fields = t as unknown as Record<string, unknown>;
    for (const f of variants[tag]!.slice(1)) {
      const v = fields[f];
      if (typeof v !== 'string') throw new ArtifactError('invalid_value', `CrdtType::${t.kind} needs the string field ${f}`);
      this.string(v);
    }
  }

  storageType(s: StorageType): void {
    this.u8(STORAGE_KINDS.indexOf(s.kind));
    if (s.kind !== 'User') return;
    this.id(s.owner, 'owner');
    this.option(s.signatureData, (sd) => this.fixed(sd.signature, 64, 'signature').u64(sd.nonce));
  }

  metadata(m: Metadata): void {
    this.u64(m.createdAt).u64(m.updatedAt);
    this.storageType(m.storageType);
    const wantsCrdt = this.layout !== 'plain';
    const wantsField = this.layout === 'crdt+field';
    if ((m.crdtType !== undefined) !== wantsCrdt || (m.fieldName !== undefined) !== wantsField) {
      throw new ArtifactError('invalid_value', `metadata fields do not match the ${this.layout} layout`);
    }
    if (wantsCrdt) this.option(m.crdtType, (t) => this.crdtType(t));
    if (wantsField) this.option(m.fieldName, (f) => this.string(f));
  }

  childInfo(c: ChildInfo): void {
    this.id(c.id).fixed(c.merkleHash, 32, 'merkle_hash');
    this.metadata(c.metadata);
  }

  action(a: Action): void {
    this.u8(ACTION_KINDS.indexOf(a.kind)).id(a.id);
    if (a.kind === 'Compare') return;
    if (a.kind === 'DeleteRef') {
      this.u64(a.deletedAt);
    } else {
      this.bytes(a.data).vec(a.ancestors, (c) => this.childInfo(c));
    }
    this.metadata(a.metadata);
  }

  comparison(c: Comparison): void {
    const d = c.comparisonData;
    this.option(c.data, (data) => this.bytes(data));
    this.id(d.id).fixed(d.fullHash, 32, 'full_hash').fixed(d.ownHash, 32, 'own_hash');
    this.vec(d.children, ([name, list]) => this.string(name).vec(list, (ci) => this.childInfo(ci)));
    this.vec(d.ancestors, (ci) => this.childInfo(ci));
    this.metadata(d.metadata);
  }
}

/** Encodes an artifact in its layout. Throws `ArtifactError('invalid_value')` for values borsh cannot carry. */
export function encodeArtifact(artifact: Artifact): Uint8Array {
  const w = new ArtifactWriter(artifact.layout);
  const { delta } = artifact;
  if (delta.kind === 'Actions') w.u8(0).vec(delta.actions, (a) => w.action(a));
  else w.u8(1).vec(delta.comparisons, (c) => w.comparison(c));
  return w.done();
}

/** Decodes one borsh `Action` alone (exactly, in the given layout). */
export function decodeAction(bytes: Uint8Array, layout: MetadataLayout): Action {
  const r = new ArtifactReader(bytes, layout);
  const a = r.action();
  r.end();
  return a;
}

/** Encodes one borsh `Action` in the given layout. */
export function encodeAction(action: Action, layout: MetadataLayout): Uint8Array {
  const w = new ArtifactWriter(layout);
  w.action(action);
  return w.done();
}

/** Borsh of a `StorageType`, as `payload_for_signing` hashes it. */
export function encodeStorageType(storageType: StorageType): Uint8Array {
  const w = new ArtifactWriter('plain');
  w.storageType(storageType);
  return w.done();
}

/**
 * Decodes a stored index record of calimero-storage (`EntityIndex`, the value under `Key::Index(id)`) in the
 * given layout, exactly.
 */
export function decodeEntityIndex(bytes: Uint8Array, layout: MetadataLayout): EntityIndex {
  return new ArtifactReader(bytes, layout).entityIndex();
}
