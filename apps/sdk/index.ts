// Calimero app SDK for AssemblyScript: a thin layer over the host ABI in env.ts.
//
// A method is an exported function with no parameters and no result. It reads its JSON arguments with
// `args()`, returns with `returnJson()` / `returnErrJson()`, logs with `log()`, emits events with `emit()`,
// and keeps state in `state` (key/value records in the context's storage). Mutating methods end with
// `state.commit()`, which hands the new root hash and the list of changes (the artifact) to the host.
import * as env from "./env";
import { bufOf, bufOfStr, strOf, utf8, writeBuf } from "./buffer";
import { JSONValue, parse, lastError, quote } from "./json";
import { sha256 } from "./sha256";
import { ByteWriter, RecordReader, simpleStringList } from "./bytes";

export { JSONValue, Kind, ObjectWriter, parse, quote } from "./json";
export { sha256 } from "./sha256";
export { sdkAbort } from "./abort";
export { utf8, strOf } from "./buffer";
export { ByteWriter, RecordReader } from "./bytes";

/** The register the SDK uses for host results (upstream's DATA_REGISTER = u64::MAX - 1). */
const DATA_REGISTER: u64 = u64.MAX_VALUE - 1;

/** Ends the call with "guest panicked: <message>" (prefer `throw new Error(msg)`, which adds the location). */
export function panic(message: string): void {
  abort(message);
}

/** Copies a register out of the host (null when it is empty). */
export function readRegister(id: u64): Uint8Array | null {
  const len = env.register_len(id);
  if (len == u64.MAX_VALUE) return null;
  const out = new Uint8Array(<i32>len);
  const d = heap.alloc(16);
  writeBuf(d, out.dataStart, <usize>len);
  if (env.read_register(id, <u64>d) != 1) abort("Buffer is too small.");
  return out;
}

// ---- input and output ------------------------------------------------------------------------------

/** The raw call input (the JSON of the method's arguments). */
export function input(): Uint8Array {
  env.input(DATA_REGISTER);
  const r = readRegister(DATA_REGISTER);
  return r !== null ? r! : new Uint8Array(0);
}

export function inputString(): string {
  return strOf(input());
}

/** The call arguments as a JSON object; panics like upstream's SDK when they are missing or invalid. */
export function args(): JSONValue {
  const raw = input();
  if (raw.length == 0) abort("Expected input since method has arguments.");
  const v = parse(strOf(raw));
  if (v === null) abort("Failed to deserialize input from JSON: " + lastError);
  return v!;
}

/** A string argument; panics with serde's wording when it is absent or not a string. */
export function argString(a: JSONValue, name: string): string {
  const v = a.get(name);
  if (v === null) abort("Failed to deserialize input from JSON: missing field `" + name + "`");
  if (!v!.isString()) abort("Failed to deserialize input from JSON: invalid type for `" + name + "`, expected a string");
  return v!.str;
}

function valueReturn(discriminant: u64, data: Uint8Array): void {
  const d = heap.alloc(24);
  store<u64>(d, discriminant);
  writeBuf(d + 8, data.dataStart, <usize>data.length);
  env.value_return(<u64>d);
}

export function returnBytes(data: Uint8Array): void { valueReturn(0, data); }
export function returnErrBytes(data: Uint8Array): void { valueReturn(1, data); }
/** Returns JSON text as the method's Ok value. */
export function returnJson(json: string): void { valueReturn(0, utf8(json)); }
/** Returns JSON text as the method's Err value (the node reports it as an execution error). */
export function returnErrJson(json: string): void { valueReturn(1, utf8(json)); }
export function returnString(s: string): void { returnJson(quote(s)); }

export function log(message: string): void {
  env.log_utf8(<u64>bufOfStr(message));
}

/** Emits an event: `kind` names it, `dataJson` is its payload (JSON text). */
export function emit(kind: string, dataJson: string): void {
  const e = heap.alloc(32);
  const k = utf8(kind);
  const d = utf8(dataJson);
  writeBuf(e, k.dataStart, <usize>k.length);
  writeBuf(e + 16, d.dataStart, <usize>d.length);
  env.emit(<u64>e);
}

/** Emits an event that asks receiving nodes to run `handler`. */
export function emitWithHandler(kind: string, dataJson: string, handler: string): void {
  const e = heap.alloc(32);
  const k = utf8(kind);
  const d = utf8(dataJson);
  writeBuf(e, k.dataStart, <usize>k.length);
  writeBuf(e + 16, d.dataStart, <usize>d.length);
  env.emit_with_handler(<u64>e, <u64>bufOfStr(handler));
}

/** Queues a call of `fn` in another context, run by the node after this call commits. */
export function xcall(contextId: Uint8Array, fn: string, paramsJson: string): void {
  const x = heap.alloc(48);
  const f = utf8(fn);
  const p = utf8(paramsJson);
  writeBuf(x, contextId.dataStart, <usize>contextId.length);
  writeBuf(x + 16, f.dataStart, <usize>f.length);
  writeBuf(x + 32, p.dataStart, <usize>p.length);
  env.xcall(<u64>x);
}

// ---- environment ----------------------------------------------------------------------------------

export function contextId(): Uint8Array {
  env.context_id(DATA_REGISTER);
  return readRegister(DATA_REGISTER)!;
}

export function executorId(): Uint8Array {
  env.executor_id(DATA_REGISTER);
  return readRegister(DATA_REGISTER)!;
}

/** Host wall-clock time in nanoseconds since the Unix epoch. */
export function timeNow(): u64 {
  const out = new Uint8Array(8);
  env.time_now(<u64>bufOf(out));
  return load<u64>(out.dataStart);
}

export function randomBytes(n: i32): Uint8Array {
  const out = new Uint8Array(n);
  env.random_bytes(<u64>bufOf(out));
  return out;
}

export function ed25519Verify(signature: Uint8Array, publicKey: Uint8Array, message: Uint8Array): bool {
  return env.ed25519_verify(<u64>bufOf(signature), <u64>bufOf(publicKey), <u64>bufOf(message)) == 1;
}

// ---- governance (the context's proxy contract) -----------------------------------------------------

/** Proposes borsh `Vec<ProposalAction>`; the node makes the proposal after the call commits. Returns its id. */
export function sendProposal(actions: Uint8Array): Uint8Array {
  const id = new Uint8Array(32);
  env.send_proposal(<u64>bufOf(actions), <u64>bufOf(id));
  return id;
}

/** Approves a proposal (after the call commits) as the executor. */
export function approveProposal(id: Uint8Array): void {
  env.approve_proposal(<u64>bufOf(id));
}

// ---- raw storage ----------------------------------------------------------------------------------

export function storageRead(key: Uint8Array): Uint8Array | null {
  if (env.storage_read(<u64>bufOf(key), DATA_REGISTER) == 0) return null;
  return readRegister(DATA_REGISTER);
}

/** Writes a value; returns the value it replaced (null when the key was new). */
export function storageWrite(key: Uint8Array, value: Uint8Array): Uint8Array | null {
  if (env.storage_write(<u64>bufOf(key), <u64>bufOf(value), DATA_REGISTER) == 0) return null;
  return readRegister(DATA_REGISTER);
}

/** Removes a key; returns the removed value (null when it did not exist). */
export function storageRemove(key: Uint8Array): Uint8Array | null {
  if (env.storage_remove(<u64>bufOf(key), DATA_REGISTER) == 0) return null;
  return readRegister(DATA_REGISTER);
}

/** Node-local storage that is never synchronised to other members. */
export function privateRead(key: Uint8Array): Uint8Array | null {
  if (env.private_storage_read(<u64>bufOf(key), DATA_REGISTER) == 0) return null;
  return readRegister(DATA_REGISTER);
}
export function privateWrite(key: Uint8Array, value: Uint8Array): bool {
  return env.private_storage_write(<u64>bufOf(key), <u64>bufOf(value)) == 1;
}
export function privateRemove(key: Uint8Array): Uint8Array | null {
  if (env.private_storage_remove(<u64>bufOf(key), DATA_REGISTER) == 0) return null;
  return readRegister(DATA_REGISTER);
}

/** Hands the root hash and artifact of this call's changes to the host (at most once per call). */
export function commitRaw(rootHash: Uint8Array, artifact: Uint8Array): void {
  env.commit(<u64>bufOf(rootHash), <u64>bufOf(artifact));
}

// ---- state ----------------------------------------------------------------------------------------

const OP_PUT: u8 = 1;
const OP_REMOVE: u8 = 2;

function u32le(out: u8[], n: u32): void {
  out.push(<u8>(n & 0xff)); out.push(<u8>((n >>> 8) & 0xff)); out.push(<u8>((n >>> 16) & 0xff)); out.push(<u8>(n >>> 24));
}

function xorInto(acc: Uint8Array, h: Uint8Array): void {
  for (let i = 0; i < 32; i++) acc[i] ^= h[i];
}

/** Hash of one record: sha256(u32 key length ‖ key ‖ value). */
function entryHash(key: Uint8Array, value: Uint8Array): Uint8Array {
  const buf = new Uint8Array(4 + key.length + value.length);
  store<u32>(buf.dataStart, <u32>key.length);
  memory.copy(buf.dataStart + 4, key.dataStart, <usize>key.length);
  memory.copy(buf.dataStart + 4 + <usize>key.length, value.dataStart, <usize>value.length);
  return sha256(buf);
}

/**
 * Named records in the context's storage, each under the UTF-8 bytes of its name. A root record keeps the
 * state digest: the XOR of the hashes of all records. `commit()` writes the digest and reports root hash =
 * sha256(digest) plus an artifact listing this call's changes (u32 count, then per change: u8 op (1 put,
 * 2 remove), u32 key length, key, u32 value length, value), which `applyArtifact` replays on another node.
 *
 * Derived records (an `UnorderedMap`'s key index) are written with `setDerived`/`removeDerived`: they count in
 * the digest but are left out of the artifact, because every node rebuilds them from the element changes.
 * Keeping them out is what makes concurrent inserts on two nodes merge: the node's last-writer-wins merge
 * works per record, and each element is its own record.
 */
export class State {
  private changes: u8[] = [];
  private count: u32 = 0;
  private digest: Uint8Array | null = null;

  static readonly ROOT: string = "__calimero_root__";

  keyOf(name: string): Uint8Array { return utf8(name); }

  private loadDigest(): Uint8Array {
    if (this.digest === null) {
      const d = storageRead(this.keyOf(State.ROOT));
      this.digest = d !== null && d.length == 32 ? d : new Uint8Array(32);
    }
    return this.digest!;
  }

  /** Whether the app state exists (the root record was written by a commit). */
  exists(): bool { return storageRead(this.keyOf(State.ROOT)) !== null; }

  /** Ends the call as upstream's SDK does when a method runs before `init` created the state. */
  requireExists(): void {
    if (!this.exists()) abort("Failed to find or read app state");
  }

  getBytes(name: string): Uint8Array | null { return storageRead(this.keyOf(name)); }
  get(name: string): string | null {
    const v = this.getBytes(name);
    return v === null ? null : strOf(v!);
  }
  has(name: string): bool { return this.getBytes(name) !== null; }

  private write(key: Uint8Array, value: Uint8Array): void {
    const acc = this.loadDigest();
    const old = storageWrite(key, value);
    if (old !== null) xorInto(acc, entryHash(key, old!));
    xorInto(acc, entryHash(key, value));
  }
  private erase(key: Uint8Array): Uint8Array | null {
    const acc = this.loadDigest();
    const old = storageRemove(key);
    if (old !== null) xorInto(acc, entryHash(key, old!));
    return old;
  }

  setBytesByKey(key: Uint8Array, value: Uint8Array): void {
    this.write(key, value);
    this.record(OP_PUT, key, value);
  }
  /** Removes a record; returns its old value (null when it did not exist, and then nothing is recorded). */
  removeByKey(key: Uint8Array): Uint8Array | null {
    const old = this.erase(key);
    if (old !== null) this.record(OP_REMOVE, key, new Uint8Array(0));
    return old;
  }

  setBytes(name: string, value: Uint8Array): void { this.setBytesByKey(this.keyOf(name), value); }
  set(name: string, value: string): void { this.setBytes(name, utf8(value)); }
  remove(name: string): bool { return this.removeByKey(this.keyOf(name)) !== null; }

  /** Writes a derived record (counted in the digest, not in the artifact). */
  setDerived(name: string, value: string): void { this.write(this.keyOf(name), utf8(value)); }
  removeDerived(name: string): void { this.erase(this.keyOf(name)); }

  private record(op: u8, key: Uint8Array, value: Uint8Array): void {
    this.changes.push(op);
    u32le(this.changes, <u32>key.length);
    for (let i = 0; i < key.length; i++) this.changes.push(key[i]);
    u32le(this.changes, <u32>value.length);
    for (let i = 0; i < value.length; i++) this.changes.push(value[i]);
    this.count++;
  }

  /** The state root hash as it stands. */
  rootHash(): Uint8Array { return sha256(this.loadDigest()); }

  /** Persists the digest and calls the host's commit(root hash, artifact). Call at the end of mutating methods. */
  commit(): void {
    const acc = this.loadDigest();
    storageWrite(this.keyOf(State.ROOT), acc);
    const artifact = new Uint8Array(4 + this.changes.length);
    store<u32>(artifact.dataStart, this.count);
    for (let i = 0; i < this.changes.length; i++) artifact[4 + i] = this.changes[i];
    commitRaw(sha256(acc), artifact);
  }

  /**
   * Replays an artifact produced by `commit()` on another node: the changes are applied, the indexes of the
   * maps they belong to are updated, then the state is committed.
   */
  applyArtifact(artifact: Uint8Array): void {
    if (artifact.length < 4) abort("invalid artifact");
    const n = load<u32>(artifact.dataStart);
    let off = 4;
    for (let i: u32 = 0; i < n; i++) {
      const op = artifact[off]; off += 1;
      const klen = <i32>load<u32>(artifact.dataStart + <usize>off); off += 4;
      const key = artifact.slice(off, off + klen); off += klen;
      const vlen = <i32>load<u32>(artifact.dataStart + <usize>off); off += 4;
      const value = artifact.slice(off, off + vlen); off += vlen;
      let existed: bool;
      if (op == OP_PUT) {
        existed = storageRead(key) !== null;
        this.setBytesByKey(key, value);
        if (!existed) syncIndexes(key, true);
      } else if (op == OP_REMOVE) {
        if (this.removeByKey(key) !== null) syncIndexes(key, false);
      } else abort("invalid artifact operation");
    }
    this.commit();
  }
}

/** The state of the current call. */
export const state = new State();

// ---- collections ----------------------------------------------------------------------------------

const maps: UnorderedMap[] = [];

function syncIndexes(key: Uint8Array, present: bool): void {
  for (let i = 0; i < maps.length; i++) maps[i].synced(key, present);
}

function compareStrings(x: string, y: string): i32 { return x < y ? -1 : x > y ? 1 : 0; }

/** Position of `key` in a sorted list: the index of the first element ≥ key. */
function lowerBound(list: string[], key: string): i32 {
  let lo = 0, hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareStrings(list[mid], key) < 0) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/** The map's directory record: the key count, and the top-level boundaries (`supers`, or `bounds` in layout 1). */
class MapDir {
  constructor(public count: i32, public v2: bool, public supers: string[], public bounds: string[]) {}
}

/** A segment record (layout 2): the keys of the chunk its super boundary starts, and the boundaries after it. */
class Segment {
  constructor(public keys: string[], public bounds: string[]) {}
}

function strings(v: JSONValue): string[] {
  const out = new Array<string>();
  for (let i = 0; i < v.items.length; i++) out.push(v.items[i].str);
  return out;
}

function jsonStrings(list: string[]): string {
  const parts = new Array<string>();
  for (let i = 0; i < list.length; i++) parts.push(quote(list[i]));
  return "[" + parts.join(",") + "]";
}

function insertAt(list: string[], at: i32, key: string): void {
  list.push(key);
  for (let i = list.length - 1; i > at; i--) list[i] = list[i - 1];
  list[at] = key;
}

/**
 * A map of string keys to string values. Each entry is its own record "<name>:<key>". The sorted key index is
 * derived (see `State`): `applyArtifact` keeps it on every node, so concurrent inserts of different keys on
 * different nodes all end up listed. Declare maps at module level (`const items = new UnorderedMap("items")`).
 *
 * The index has two levels of "boundary" keys, chosen by their sha256 so that the same set of keys gives the
 * same records (and the same root) on every node whatever the order of inserts:
 * - a key whose hash starts with a byte below 4 (about one in 64) starts a chunk: the sorted keys from it up
 *   to the next boundary, record "<name>/<boundary>" = ["k", ...];
 * - a boundary whose hash's second byte is below 4 too (about one key in 4,096) is a super boundary: it starts
 *   a segment, and its record "<name>/<super>" = {"k": its chunk's keys, "b": the boundaries after it up to the
 *   next super boundary}. Record "<name>/" is the segment before the first super boundary (absent when empty);
 * - record "<name>" = {"n": number of keys, "s": the sorted super boundaries}.
 * An insert or removal so rewrites one chunk, at most two segment records and the small directory: a bounded
 * amount whatever the size of the map.
 *
 * Layout 1 (before): "<name>" = {"n", "b": every boundary}, and every chunk a plain list. Maps in that layout
 * are read as they are, and turned into layout 2 by their first insert or removal (only the segment records
 * and the directory change), which every node does at the same change, so nodes keep agreeing.
 */
export class UnorderedMap {
  private prefix: Uint8Array;

  constructor(public name: string) {
    // ":" and "/" separate a map's records from each other's (and from other maps').
    if (name.length == 0 || name.includes(":") || name.includes("/")) abort("a map name must be non-empty, without ':' or '/'");
    this.prefix = utf8(name + ":");
    maps.push(this);
  }

  private entryName(key: string): string { return this.name + ":" + key; }

  has(key: string): bool { return state.has(this.entryName(key)); }
  get(key: string): string | null { return state.get(this.entryName(key)); }

  /** Inserts or replaces; returns whether the key existed. */
  set(key: string, value: string): bool {
    const existed = this.has(key);
    state.set(this.entryName(key), value);
    if (!existed) this.index(key, true);
    return existed;
  }

  /** Removes a key; returns its old value (null when absent). */
  remove(key: string): string | null {
    const old = state.removeByKey(state.keyOf(this.entryName(key)));
    if (old === null) return null;
    this.index(key, false);
    return strOf(old!);
  }

  /** The keys in ascending order. */
  keys(): string[] {
    const dir = this.loadDir();
    const out = new Array<string>();
    if (!dir.v2) {
      this.appendChunk(out, "");
      for (let i = 0; i < dir.bounds.length; i++) this.appendChunk(out, dir.bounds[i]);
      return out;
    }
    this.appendSegment(out, "");
    for (let i = 0; i < dir.supers.length; i++) this.appendSegment(out, dir.supers[i]);
    return out;
  }

  /**
   * Up to `limit` keys after `after` (from the first key when null), in ascending order: reads only the index
   * records from the chunk that holds `after` on, so a large map can be paged.
   */
  keysAfter(after: string | null, limit: i32): string[] {
    const out = new Array<string>();
    const dir = this.loadDir();
    if (!dir.v2) {
      for (let i = UnorderedMap.runOf(dir.bounds, after); i <= dir.bounds.length && out.length < limit; i++) {
        UnorderedMap.takeAfter(out, this.loadList(this.chunkName(i == 0 ? "" : dir.bounds[i - 1])), after, limit);
      }
      return out;
    }
    const firstSeg = UnorderedMap.runOf(dir.supers, after);
    for (let s = firstSeg; s <= dir.supers.length && out.length < limit; s++) {
      const seg = this.loadSegment(s == 0 ? "" : dir.supers[s - 1]);
      for (let c = s == firstSeg ? UnorderedMap.runOf(seg.bounds, after) : 0; c <= seg.bounds.length && out.length < limit; c++) {
        UnorderedMap.takeAfter(out, c == 0 ? seg.keys : this.loadList(this.chunkName(seg.bounds[c - 1])), after, limit);
      }
    }
    return out;
  }

  /**
   * Writes the JSON object {"key": "value", ...} of `keys` (in that order; keys without a value are left out)
   * into `out`, reading each value into a reused buffer: no string is made per entry, so a walk of a large map
   * fits the guest's memory.
   */
  writeEntries(out: ByteWriter, keys: string[]): void {
    const reader = new RecordReader();
    const skip = this.prefix.length;
    out.byte(123);
    let first = true;
    for (let i = 0; i < keys.length; i++) {
      const n = reader.read(this.prefix, keys[i]);
      if (n < 0) continue;
      if (!first) out.byte(44);
      first = false;
      out.jsonString(reader.key.dataStart + <usize>skip, reader.keyLen - skip);
      out.byte(58);
      out.jsonString(reader.value.dataStart, n);
    }
    out.byte(125);
  }

  len(): i32 { return this.loadDir().count; }

  clear(): void {
    const keys = this.keys();
    for (let i = 0; i < keys.length; i++) this.remove(keys[i]);
  }

  /** Called by `applyArtifact` for every record that appeared or disappeared. */
  synced(key: Uint8Array, present: bool): void {
    const p = this.prefix;
    if (key.length < p.length) return;
    for (let i = 0; i < p.length; i++) if (key[i] != p[i]) return;
    this.index(strOf(key.slice(p.length)), present);
  }

  // ---- the index ----

  private chunkName(boundary: string): string { return this.name + "/" + boundary; }

  private appendChunk(out: string[], boundary: string): void {
    const chunk = this.loadList(this.chunkName(boundary));
    for (let j = 0; j < chunk.length; j++) out.push(chunk[j]);
  }

  private appendSegment(out: string[], start: string): void {
    const seg = this.loadSegment(start);
    for (let j = 0; j < seg.keys.length; j++) out.push(seg.keys[j]);
    for (let i = 0; i < seg.bounds.length; i++) this.appendChunk(out, seg.bounds[i]);
  }

  private loadList(record: string): string[] {
    const raw = state.get(record);
    if (raw === null) return new Array<string>();
    const quick = simpleStringList(raw!);
    if (quick !== null) return quick!;
    const v = parse(raw!);
    if (v === null) abort("corrupt index record " + record);
    return strings(v!);
  }

  private saveList(record: string, list: string[]): void {
    if (list.length == 0) state.removeDerived(record);
    else state.setDerived(record, jsonStrings(list));
  }

  private loadSegment(start: string): Segment {
    const record = this.chunkName(start);
    const raw = state.get(record);
    if (raw === null) return new Segment(new Array<string>(), new Array<string>());
    const v = parse(raw!);
    if (v === null || v!.get("k") === null || v!.get("b") === null) abort("corrupt index record " + record);
    return new Segment(strings(v!.get("k")!), strings(v!.get("b")!));
  }

  private saveSegment(start: string, seg: Segment): void {
    const record = this.chunkName(start);
    if (seg.keys.length == 0 && seg.bounds.length == 0) state.removeDerived(record);
    else state.setDerived(record, "{\"k\":" + jsonStrings(seg.keys) + ",\"b\":" + jsonStrings(seg.bounds) + "}");
  }

  private loadDir(): MapDir {
    const raw = state.get(this.name);
    if (raw === null) return new MapDir(0, true, new Array<string>(), new Array<string>());
    const v = parse(raw!);
    if (v === null || v!.get("n") === null) abort("corrupt index record " + this.name);
    const n = <i32>v!.get("n")!.num;
    const s = v!.get("s");
    if (s !== null) return new MapDir(n, true, strings(s!), new Array<string>());
    const b = v!.get("b");
    if (b === null) abort("corrupt index record " + this.name);
    return new MapDir(n, false, new Array<string>(), strings(b!));
  }

  private saveDir(dir: MapDir): void {
    if (dir.count == 0) state.removeDerived(this.name);
    else state.setDerived(this.name, "{\"n\":" + dir.count.toString() + ",\"s\":" + jsonStrings(dir.supers) + "}");
  }

  /** Layout 1 → 2: the chunks stay; the segment records and the directory are written. */
  private upgrade(old: MapDir): MapDir {
    const supers = new Array<string>();
    for (let i = 0; i < old.bounds.length; i++) if (UnorderedMap.isSuper(sha256(utf8(old.bounds[i])))) supers.push(old.bounds[i]);
    let at = 0;
    for (let s = -1; s < supers.length; s++) {
      const start = s < 0 ? "" : supers[s];
      if (s >= 0) at++; // past the super boundary itself
      const bounds = new Array<string>();
      while (at < old.bounds.length && (s + 1 >= supers.length || old.bounds[at] != supers[s + 1])) bounds.push(old.bounds[at++]);
      this.saveSegment(start, new Segment(this.loadList(this.chunkName(start)), bounds));
    }
    return new MapDir(old.count, true, supers, new Array<string>());
  }

  /** How many of the sorted run starts are ≤ `key` (0 when null): the index of the run that holds it, 0 being the run before the first start. */
  private static runOf(starts: string[], key: string | null): i32 {
    if (key === null) return 0;
    const at = lowerBound(starts, key!);
    return at < starts.length && starts[at] == key! ? at + 1 : at;
  }

  private static takeAfter(out: string[], chunk: string[], after: string | null, limit: i32): void {
    for (let j = 0; j < chunk.length && out.length < limit; j++) if (after === null || chunk[j] > after!) out.push(chunk[j]);
  }

  private static isBoundary(h: Uint8Array): bool { return h[0] < 4; }
  private static isSuper(h: Uint8Array): bool { return h[0] < 4 && h[1] < 4; }

  /** The start of the run that holds `key` among sorted starts: `key` itself, the one before it, or `first`. */
  private static startOf(starts: string[], key: string, first: string): string {
    const at = lowerBound(starts, key);
    if (at < starts.length && starts[at] == key) return key;
    return at == 0 ? first : starts[at - 1];
  }

  private index(key: string, present: bool): void {
    let dir = this.loadDir();
    if (!dir.v2) dir = this.upgrade(dir);
    const h = sha256(utf8(key));
    const changed = present ? this.insert(dir, key, h) : this.erase(dir, key, h);
    if (!changed) return;
    dir.count += present ? 1 : -1;
    this.saveDir(dir);
  }

  /** The chunk that starts at `home` (kept in its segment record when `home` starts the segment). */
  private chunkAt(seg: Segment, segStart: string, home: string): string[] {
    return home == segStart ? seg.keys : this.loadList(this.chunkName(home));
  }

  private saveChunk(seg: Segment, segStart: string, home: string, chunk: string[]): void {
    if (home == segStart) seg.keys = chunk;
    else this.saveList(this.chunkName(home), chunk);
  }

  private insert(dir: MapDir, key: string, h: Uint8Array): bool {
    const supers = dir.supers;
    const segStart = UnorderedMap.startOf(supers, key, "");
    if (segStart == key && key != "") return false; // an indexed super boundary
    const seg = this.loadSegment(segStart);
    const bi = lowerBound(seg.bounds, key);
    if (bi < seg.bounds.length && seg.bounds[bi] == key) return false; // an indexed boundary
    const home = bi == 0 ? segStart : seg.bounds[bi - 1];
    const chunk = this.chunkAt(seg, segStart, home);
    const at = lowerBound(chunk, key);
    if (at < chunk.length && chunk[at] == key) return false; // already indexed
    if (!UnorderedMap.isBoundary(h)) {
      insertAt(chunk, at, key);
      this.saveChunk(seg, segStart, home, chunk);
      if (home == segStart) this.saveSegment(segStart, seg);
      return true;
    }
    // `key` starts a chunk: the keys after it in its home chunk move with it.
    const moved = new Array<string>();
    moved.push(key);
    for (let i = at; i < chunk.length; i++) moved.push(chunk[i]);
    this.saveChunk(seg, segStart, home, chunk.slice(0, at));
    if (!UnorderedMap.isSuper(h)) {
      this.saveList(this.chunkName(key), moved);
      insertAt(seg.bounds, bi, key);
      this.saveSegment(segStart, seg);
      return true;
    }
    // ... and a segment: the boundaries after it move too.
    this.saveSegment(key, new Segment(moved, seg.bounds.slice(bi)));
    seg.bounds = seg.bounds.slice(0, bi);
    this.saveSegment(segStart, seg);
    insertAt(supers, lowerBound(supers, key), key);
    return true;
  }

  private erase(dir: MapDir, key: string, h: Uint8Array): bool {
    const supers = dir.supers;
    const segStart = UnorderedMap.startOf(supers, key, "");
    if (segStart == key && key != "") {
      // The segment `key` started joins the one before it (its chunk joins that segment's last chunk).
      const seg = this.loadSegment(key);
      const si = lowerBound(supers, key);
      const intoStart = si == 0 ? "" : supers[si - 1];
      const into = this.loadSegment(intoStart);
      const last = into.bounds.length > 0 ? into.bounds[into.bounds.length - 1] : intoStart;
      const merged = this.chunkAt(into, intoStart, last);
      for (let i = 1; i < seg.keys.length; i++) merged.push(seg.keys[i]);
      this.saveChunk(into, intoStart, last, merged);
      for (let i = 0; i < seg.bounds.length; i++) into.bounds.push(seg.bounds[i]);
      this.saveSegment(intoStart, into);
      state.removeDerived(this.chunkName(key));
      supers.splice(si, 1);
      return true;
    }
    const seg = this.loadSegment(segStart);
    const bi = lowerBound(seg.bounds, key);
    if (bi < seg.bounds.length && seg.bounds[bi] == key) {
      // The chunk `key` started joins the chunk before it.
      const chunk = this.loadList(this.chunkName(key));
      const prev = bi == 0 ? segStart : seg.bounds[bi - 1];
      const merged = this.chunkAt(seg, segStart, prev);
      for (let i = 1; i < chunk.length; i++) merged.push(chunk[i]);
      this.saveChunk(seg, segStart, prev, merged);
      state.removeDerived(this.chunkName(key));
      seg.bounds.splice(bi, 1);
      this.saveSegment(segStart, seg);
      return true;
    }
    const home = bi == 0 ? segStart : seg.bounds[bi - 1];
    const chunk = this.chunkAt(seg, segStart, home);
    const at = lowerBound(chunk, key);
    if (at >= chunk.length || chunk[at] != key) return false; // not indexed
    chunk.splice(at, 1);
    this.saveChunk(seg, segStart, home, chunk);
    if (home == segStart) this.saveSegment(segStart, seg);
    return true;
  }
}
