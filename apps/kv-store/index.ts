// kv-store: the methods and events of upstream apps/kv-store (0.10.0), written with our AssemblyScript SDK
// (plus set_many, ours: several keys in one commit, for the optimistic-execution test; and entries_page, ours:
// one page of entries in key order).
//
// State: one UnorderedMap "items" (each entry its own record "items:<key>", plus the sorted key index, which
// every node derives itself — so concurrent inserts on different nodes merge). Events: Inserted {key, value},
// Updated {key, value}, Removed {key}, Cleared (data null). Errors of get_result: {"kind":"NotFound","data":<key>}.
import {
  args, argString, emit, log, quote, returnJson, returnErrJson, returnString, state, input,
  ObjectWriter, UnorderedMap, sendProposal, approveProposal, utf8, ByteWriter, returnBytes,
} from "../sdk/index";

const items = new UnorderedMap("items");

function eventKV(key: string, value: string): string {
  return new ObjectWriter().str("key", key).str("value", value).done();
}

export function init(): void {
  if (state.exists()) abort("Cannot initialize over already existing state.");
  state.commit();
}

export function set(): void {
  state.requireExists();
  const a = args();
  const key = argString(a, "key");
  const value = argString(a, "value");
  log("Setting key: " + quote(key) + " to value: " + quote(value));
  emit(items.has(key) ? "Updated" : "Inserted", eventKV(key, value));
  items.set(key, value);
  returnJson("null");
  state.commit();
}

/** Ours, not upstream's: sets every key of a comma-separated list to one value in one call (one commit). */
export function set_many(): void {
  state.requireExists();
  const a = args();
  const keys = argString(a, "keys").split(",");
  const value = argString(a, "value");
  for (let i = 0; i < keys.length; i++) items.set(keys[i], value);
  returnJson("null");
  state.commit();
}

export function update_if_exists(): void {
  state.requireExists();
  const a = args();
  const key = argString(a, "key");
  const value = argString(a, "value");
  log("Updating if exists: " + quote(key) + " -> " + quote(value));
  if (items.has(key)) {
    items.set(key, value);
    emit("Updated", eventKV(key, value));
    returnJson("true");
  } else {
    returnJson("false");
  }
  state.commit();
}

export function get_or_insert(): void {
  state.requireExists();
  const a = args();
  const key = argString(a, "key");
  const value = argString(a, "value");
  log("Get or insert: " + quote(key) + " -> " + quote(value));
  const current = items.get(key);
  if (current === null) {
    emit("Inserted", eventKV(key, value));
    items.set(key, value);
    returnString(value);
  } else {
    returnString(current!);
  }
  state.commit();
}

export function entries(): void {
  state.requireExists();
  log("Getting all entries");
  const out = new ByteWriter();
  items.writeEntries(out, items.keys());
  returnBytes(out.bytes());
}

/**
 * Ours, not upstream's: one page of entries in key order, for states too large for `entries` in one call.
 * Arguments {"after"?: key, "limit"?: n (default 100, at most 10,000)}; answers {"entries": {...}, "next": the
 * last key of a full page (pass it as `after`), or null when no key follows}.
 */
export function entries_page(): void {
  state.requireExists();
  const a = args();
  const afterArg = a.get("after");
  const after: string | null = afterArg !== null && afterArg!.isString() ? afterArg!.str : null;
  const limitArg = a.get("limit");
  let limit: i32 = limitArg !== null && !limitArg!.isNull() ? <i32>limitArg!.num : 100;
  if (limit < 1) limit = 1;
  if (limit > 10000) limit = 10000;
  const keys = items.keysAfter(after, limit);
  const out = new ByteWriter();
  out.ascii("{\"entries\":");
  items.writeEntries(out, keys);
  out.ascii(",\"next\":");
  if (keys.length == limit) {
    const last = utf8(keys[keys.length - 1]);
    out.jsonString(last.dataStart, last.length);
  } else out.ascii("null");
  out.byte(125);
  returnBytes(out.bytes());
}

export function len(): void {
  state.requireExists();
  log("Getting the number of entries");
  returnJson(items.len().toString());
}

export function get(): void {
  state.requireExists();
  const key = argString(args(), "key");
  log("Getting key: " + quote(key));
  const v = items.get(key);
  returnJson(v === null ? "null" : quote(v!));
}

export function get_unchecked(): void {
  state.requireExists();
  const key = argString(args(), "key");
  log("Getting key without checking: " + quote(key));
  const v = items.get(key);
  if (v === null) throw new Error("key not found");
  returnString(v!);
}

export function get_result(): void {
  state.requireExists();
  const key = argString(args(), "key");
  log("Getting key, possibly failing: " + quote(key));
  const v = items.get(key);
  if (v === null) {
    returnErrJson(new ObjectWriter().str("kind", "NotFound").str("data", key).done());
    return;
  }
  returnString(v!);
}

export function remove(): void {
  state.requireExists();
  const key = argString(args(), "key");
  log("Removing key: " + quote(key));
  emit("Removed", new ObjectWriter().str("key", key).done());
  const old = items.remove(key);
  returnJson(old === null ? "null" : quote(old!));
  state.commit();
}

export function clear(): void {
  state.requireExists();
  log("Clearing all entries");
  emit("Cleared", "null");
  items.clear();
  returnJson("null");
  state.commit();
}

/** Replays another node's artifact (upstream apps export __calimero_sync_next for the same purpose). */
export function __calimero_sync_next(): void {
  const artifact = input();
  if (artifact.length == 0) abort("Expected payload to sync method.");
  state.applyArtifact(artifact);
}

// ---- ours: the context's proxy contract through the governance host functions (not in upstream's kv-store) ----

function hexOf(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += (<u32>b[i]).toString(16).padStart(2, "0");
  return s;
}

function hexBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = <u8>I32.parseInt(s.substr(i * 2, 2), 16);
  return out;
}

function putU32(b: Uint8Array, at: i32, v: u32): void {
  b[at] = <u8>v; b[at + 1] = <u8>(v >> 8); b[at + 2] = <u8>(v >> 16); b[at + 3] = <u8>(v >> 24);
}

/** Proposes one SetContextValue action (borsh `Vec<ProposalAction>`); returns the proposal id in hex. */
export function propose_context_value(): void {
  const a = args();
  const k = utf8(argString(a, "key"));
  const v = utf8(argString(a, "value"));
  const w = new Uint8Array(13 + k.length + v.length);
  putU32(w, 0, 1);
  w[4] = 4; // SetContextValue
  putU32(w, 5, <u32>k.length);
  w.set(k, 9);
  putU32(w, 9 + k.length, <u32>v.length);
  w.set(v, 13 + k.length);
  returnString(hexOf(sendProposal(w)));
}

/** Approves the proposal whose id is given in hex. */
export function approve(): void {
  approveProposal(hexBytes(argString(args(), "id")));
  returnJson("null");
}
