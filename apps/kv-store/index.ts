// kv-store: the methods and events of upstream apps/kv-store (0.10.0), written with our AssemblyScript SDK.
//
// State: every entry is a record "items:<key>" holding its value; "items" holds the JSON array of keys
// (the map's index, like UnorderedMap's child list). Events: Inserted {key, value}, Updated {key, value},
// Removed {key}, Cleared (data null). Errors of get_result: {"kind":"NotFound","data":<key>}.
import {
  args, argString, emit, log, quote, returnJson, returnErrJson, returnString, state, input,
  ObjectWriter, parse, JSONValue,
} from "../sdk/index";

const INDEX = "items";

function itemName(key: string): string { return "items:" + key; }

function requireState(): void {
  if (!state.exists()) abort("Failed to find or read app state");
}

function loadKeys(): string[] {
  const raw = state.get(INDEX);
  const keys = new Array<string>();
  if (raw === null) return keys;
  const v = parse(raw!);
  if (v === null) abort("corrupt index");
  for (let i = 0; i < v!.items.length; i++) keys.push(v!.items[i].str);
  return keys;
}

function saveKeys(keys: string[]): void {
  const parts = new Array<string>();
  for (let i = 0; i < keys.length; i++) parts.push(quote(keys[i]));
  state.set(INDEX, "[" + parts.join(",") + "]");
}

function insert(key: string, value: string): bool {
  const existed = state.has(itemName(key));
  state.set(itemName(key), value);
  if (!existed) {
    const keys = loadKeys();
    keys.push(key);
    saveKeys(keys);
  }
  return existed;
}

function eventKV(key: string, value: string): string {
  return new ObjectWriter().str("key", key).str("value", value).done();
}

export function init(): void {
  if (state.exists()) abort("Cannot initialize over already existing state.");
  saveKeys([]);
  state.commit();
}

export function set(): void {
  requireState();
  const a = args();
  const key = argString(a, "key");
  const value = argString(a, "value");
  log("Setting key: " + quote(key) + " to value: " + quote(value));
  if (state.has(itemName(key))) emit("Updated", eventKV(key, value));
  else emit("Inserted", eventKV(key, value));
  insert(key, value);
  returnJson("null");
  state.commit();
}

export function update_if_exists(): void {
  requireState();
  const a = args();
  const key = argString(a, "key");
  const value = argString(a, "value");
  log("Updating if exists: " + quote(key) + " -> " + quote(value));
  if (state.has(itemName(key))) {
    state.set(itemName(key), value);
    emit("Updated", eventKV(key, value));
    returnJson("true");
  } else {
    returnJson("false");
  }
  state.commit();
}

export function get_or_insert(): void {
  requireState();
  const a = args();
  const key = argString(a, "key");
  const value = argString(a, "value");
  log("Get or insert: " + quote(key) + " -> " + quote(value));
  const current = state.get(itemName(key));
  if (current === null) {
    emit("Inserted", eventKV(key, value));
    insert(key, value);
    returnString(value);
  } else {
    returnString(current!);
  }
  state.commit();
}

export function entries(): void {
  requireState();
  log("Getting all entries");
  const keys = loadKeys().sort((x: string, y: string): i32 => (x < y ? -1 : x > y ? 1 : 0));
  const w = new ObjectWriter();
  for (let i = 0; i < keys.length; i++) {
    const v = state.get(itemName(keys[i]));
    if (v !== null) w.str(keys[i], v!);
  }
  returnJson(w.done());
}

export function len(): void {
  requireState();
  log("Getting the number of entries");
  returnJson(loadKeys().length.toString());
}

export function get(): void {
  requireState();
  const key = argString(args(), "key");
  log("Getting key: " + quote(key));
  const v = state.get(itemName(key));
  returnJson(v === null ? "null" : quote(v!));
}

export function get_unchecked(): void {
  requireState();
  const key = argString(args(), "key");
  log("Getting key without checking: " + quote(key));
  const v = state.get(itemName(key));
  if (v === null) throw new Error("key not found");
  returnString(v!);
}

export function get_result(): void {
  requireState();
  const key = argString(args(), "key");
  log("Getting key, possibly failing: " + quote(key));
  const v = state.get(itemName(key));
  if (v === null) {
    returnErrJson(new ObjectWriter().str("kind", "NotFound").str("data", key).done());
    return;
  }
  returnString(v!);
}

export function remove(): void {
  requireState();
  const key = argString(args(), "key");
  log("Removing key: " + quote(key));
  emit("Removed", new ObjectWriter().str("key", key).done());
  const old = state.get(itemName(key));
  if (old !== null) {
    state.remove(itemName(key));
    const keys = loadKeys();
    const kept = new Array<string>();
    for (let i = 0; i < keys.length; i++) if (keys[i] != key) kept.push(keys[i]);
    saveKeys(kept);
  }
  returnJson(old === null ? "null" : quote(old!));
  state.commit();
}

export function clear(): void {
  requireState();
  log("Clearing all entries");
  emit("Cleared", "null");
  const keys = loadKeys();
  for (let i = 0; i < keys.length; i++) state.remove(itemName(keys[i]));
  saveKeys([]);
  returnJson("null");
  state.commit();
}

/** Replays another node's artifact (upstream apps export __calimero_sync_next for the same purpose). */
export function __calimero_sync_next(): void {
  const artifact = input();
  if (artifact.length == 0) abort("Expected payload to sync method.");
  state.applyArtifact(artifact);
}
