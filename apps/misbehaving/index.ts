// misbehaving: each method breaks one rule, so tests can check that the runtime ends the call with the
// right error and that the next call (and the context's state) is unaffected.
import { log, emit, returnBytes, returnString, state, storageWrite, utf8 } from "../sdk/index";

let sink: i32 = 0;
const hoard = new Array<ArrayBuffer>();

/** Writes 9 MiB as two values (5 + 4 MiB): each value is within the limits, the whole change is too big to sync. */
export function big_writes(): void {
  const n = 9;
  for (let i = 0; i < n; i += 5) {
    const size = min(5, n - i) << 20;
    storageWrite(utf8("big-" + i.toString()), new Uint8Array(size));
  }
  returnString("written");
}

let calls: i32 = 0;
const seen = new Array<i32>();

/**
 * Counts its calls in a module-level variable and a heap array and returns both ("calls/length"). Every call starts
 * from a fresh instance's state, so the answer is always "1/1", also when the runtime reuses an instance.
 */
export function count_calls(): void {
  calls++;
  seen.push(calls);
  returnString(calls.toString() + "/" + seen.length.toString());
}

/** A well-behaved method: returns "fine". */
export function ok(): void { returnString("fine"); }

/** Panics with a message (reported with this file's location). */
export function panic(): void { throw new Error("deliberate panic"); }

/** Writes to storage, then panics: the writes must not survive. */
export function write_then_panic(): void {
  state.set("poison", "should never persist");
  state.commit();
  throw new Error("panic after write");
}

/** Never returns. */
export function loop_forever(): void {
  while (sink >= 0) sink = (sink + 1) & 0x3fffffff;
}

/** Writes, then never returns: ended by the deadline, writes dropped. */
export function write_then_loop(): void {
  state.set("poison", "should never persist");
  while (sink >= 0) sink = (sink + 1) & 0x3fffffff;
}

/** Allocates 1 MiB blocks until the allocator cannot grow memory any more. */
export function grow_memory(): void {
  while (true) hoard.push(new ArrayBuffer(1 << 20));
}

/** Grows linear memory page by page with memory.grow and traps once it is refused. */
export function grow_raw(): void {
  while (memory.grow(16) >= 0) sink++;
  unreachable();
}

/** Unbounded recursion. */
function deeper(n: i32): i32 { return n == 0x7fffffff ? n : deeper(n + 1) + 1; }
export function recurse(): void { sink = deeper(sink); }

/** Returns 11 MiB (above max_return_size). */
export function big_return(): void { returnBytes(new Uint8Array(11 << 20)); }

/** One log line of 20 000 bytes (above max_log_size = 16 KiB). */
export function huge_log(): void { log("x".repeat(20000)); }

/** 101 log lines (above max_logs = 100). */
export function many_logs(): void { for (let i = 0; i < 101; i++) log("line " + i.toString()); }

/** 101 events (above max_events = 100). */
export function many_events(): void { for (let i = 0; i < 101; i++) emit("Tick", i.toString()); }

/** A storage key of 1 MiB + 1 byte (above max_storage_key_size). */
export function huge_key(): void { storageWrite(new Uint8Array((1 << 20) + 1), utf8("v")); }

/** Integer division by zero. */
export function divide_by_zero(): void { sink = 1 / (sink - sink); }

/** Returns bytes that are not JSON (the node answers SerdeError). */
export function not_json(): void { returnBytes(utf8("this is not json")); }
