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

export { JSONValue, Kind, ObjectWriter, parse, quote } from "./json";
export { sha256 } from "./sha256";
export { sdkAbort } from "./abort";
export { utf8, strOf } from "./buffer";

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

class MapDir {
  constructor(public count: i32, public bounds: string[]) {}
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
 * The index is cut into chunks at "boundary" keys — keys whose sha256 starts with a byte below 4, about one in
 * 64 — so an insert or removal rewrites one chunk of ~64 keys and the list of boundaries (~1/64 of the keys),
 * not the whole index. Which keys are boundaries depends on the keys alone, so the same set of keys gives the
 * same records (and the same root) on every node whatever the order of inserts. Records: "<name>" =
 * {"n": number of keys, "b": sorted boundary keys}; "<name>/<boundary>" = the sorted keys from that boundary up to
 * the next ("<name>/" for the keys before the first boundary). Empty ones are absent.
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
    const out = this.loadList(this.chunkName(""));
    const bounds = this.loadDir().bounds;
    for (let i = 0; i < bounds.length; i++) {
      const chunk = this.loadList(this.chunkName(bounds[i]));
      for (let j = 0; j < chunk.length; j++) out.push(chunk[j]);
    }
    return out;
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

  // ---- the chunked index ----

  private chunkName(boundary: string): string { return this.name + "/" + boundary; }

  private static isBoundary(key: string): bool { return sha256(utf8(key))[0] < 4; }

  private loadList(record: string): string[] {
    const raw = state.get(record);
    if (raw === null) return new Array<string>();
    const v = parse(raw!);
    if (v === null) abort("corrupt index record " + record);
    return strings(v!);
  }

  private saveList(record: string, list: string[]): void {
    if (list.length == 0) state.removeDerived(record);
    else state.setDerived(record, jsonStrings(list));
  }

  private loadDir(): MapDir {
    const raw = state.get(this.name);
    if (raw === null) return new MapDir(0, new Array<string>());
    const v = parse(raw!);
    if (v === null || v!.get("n") === null || v!.get("b") === null) abort("corrupt index record " + this.name);
    return new MapDir(<i32>v!.get("n")!.num, strings(v!.get("b")!));
  }

  private saveDir(dir: MapDir): void {
    if (dir.count == 0) state.removeDerived(this.name);
    else state.setDerived(this.name, "{\"n\":" + dir.count.toString() + ",\"b\":" + jsonStrings(dir.bounds) + "}");
  }

  /** The boundary whose chunk holds `key` ("" = the first chunk), among the sorted `bounds`. */
  private static chunkOf(bounds: string[], key: string): string {
    const at = lowerBound(bounds, key);
    if (at < bounds.length && bounds[at] == key) return key;
    return at == 0 ? "" : bounds[at - 1];
  }

  private index(key: string, present: bool): void {
    const dir = this.loadDir();
    const bounds = dir.bounds;
    const home = UnorderedMap.chunkOf(bounds, key);
    const isBound = UnorderedMap.isBoundary(key);
    if (present) {
      if (isBound && home == key) return; // already indexed
      const chunk = this.loadList(this.chunkName(home));
      const at = lowerBound(chunk, key);
      if (at < chunk.length && chunk[at] == key) return; // already indexed
      if (isBound) {
        // `key` starts a chunk: the keys after it in its home chunk move with it.
        const moved = new Array<string>();
        moved.push(key);
        for (let i = at; i < chunk.length; i++) moved.push(chunk[i]);
        this.saveList(this.chunkName(home), chunk.slice(0, at));
        this.saveList(this.chunkName(key), moved);
        insertAt(bounds, lowerBound(bounds, key), key);
      } else {
        insertAt(chunk, at, key);
        this.saveList(this.chunkName(home), chunk);
      }
    } else {
      const chunk = this.loadList(this.chunkName(home));
      const at = lowerBound(chunk, key);
      if (at >= chunk.length || chunk[at] != key) return; // not indexed
      if (isBound && home == key) {
        // The chunk `key` started joins the chunk before it.
        const before = lowerBound(bounds, key);
        const into = before == 0 ? "" : bounds[before - 1];
        const merged = this.loadList(this.chunkName(into));
        for (let i = 1; i < chunk.length; i++) merged.push(chunk[i]);
        this.saveList(this.chunkName(into), merged);
        state.removeDerived(this.chunkName(key));
        bounds.splice(before, 1);
      } else {
        chunk.splice(at, 1);
        this.saveList(this.chunkName(home), chunk);
      }
    }
    dir.count += present ? 1 : -1;
    this.saveDir(dir);
  }
}
