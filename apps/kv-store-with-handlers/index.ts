// kv-store-with-handlers: upstream apps/kv-store-with-handlers (0.10.0) with our AssemblyScript SDK.
//
// Like kv-store, but every event names a handler (`emitWithHandler`): receiving nodes — not the author — run
// it as a separate mutation with the event's data as arguments. Each handler run counts in a grow-only
// counter kept as one record per executor ("handler_counter:<executor hex>"), so runs on different nodes never
// write the same record and the total converges to the number of runs everywhere.
import {
  args, argString, emitWithHandler, executorId, log, quote, returnJson, state, input, ObjectWriter, UnorderedMap,
} from "../sdk/index";

const items = new UnorderedMap("items");
const counter = new UnorderedMap("handler_counter");

function hex(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += (<u32>bytes[i] + 0x100).toString(16).slice(1);
  return s;
}

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
  if (items.has(key)) emitWithHandler("Updated", eventKV(key, value), "update_handler");
  else emitWithHandler("Inserted", eventKV(key, value), "insert_handler");
  items.set(key, value);
  returnJson("null");
  state.commit();
}

export function get(): void {
  state.requireExists();
  const v = items.get(argString(args(), "key"));
  returnJson(v === null ? "null" : quote(v!));
}

export function entries(): void {
  state.requireExists();
  const keys = items.keys();
  const w = new ObjectWriter();
  for (let i = 0; i < keys.length; i++) w.str(keys[i], items.get(keys[i])!);
  returnJson(w.done());
}

export function len(): void {
  state.requireExists();
  returnJson(items.len().toString());
}

export function remove(): void {
  state.requireExists();
  const key = argString(args(), "key");
  emitWithHandler("Removed", new ObjectWriter().str("key", key).done(), "remove_handler");
  const old = items.remove(key);
  returnJson(old === null ? "null" : quote(old!));
  state.commit();
}

export function clear(): void {
  state.requireExists();
  emitWithHandler("Cleared", "null", "clear_handler");
  items.clear();
  returnJson("null");
  state.commit();
}

function countHandler(name: string, details: string): void {
  state.requireExists();
  log("Handler '" + name + "' called: " + details);
  const me = hex(executorId());
  const current = counter.get(me);
  counter.set(me, (current === null ? 1 : I64.parseInt(current!) + 1).toString());
  returnJson("null");
  state.commit();
}

export function insert_handler(): void {
  const a = args();
  countHandler("insert_handler", "key=" + argString(a, "key") + ", value=" + argString(a, "value"));
}

export function update_handler(): void {
  const a = args();
  countHandler("update_handler", "key=" + argString(a, "key") + ", value=" + argString(a, "value"));
}

export function remove_handler(): void {
  countHandler("remove_handler", "key=" + argString(args(), "key"));
}

export function clear_handler(): void {
  countHandler("clear_handler", "all items cleared");
}

/** Total handler runs on all nodes (the sum of the per-executor counts). */
export function get_handler_execution_count(): void {
  state.requireExists();
  const keys = counter.keys();
  let total: i64 = 0;
  for (let i = 0; i < keys.length; i++) total += I64.parseInt(counter.get(keys[i])!);
  returnJson(total.toString());
}

export function __calimero_sync_next(): void {
  const artifact = input();
  if (artifact.length == 0) abort("Expected payload to sync method.");
  state.applyArtifact(artifact);
}
