// AssemblyScript's `abort` (used by `throw`, `assert`, out-of-bounds checks, …) mapped to the host's
// panic_utf8, so a guest failure arrives at the node as "guest panicked: <message> at <file>:<line>:<col>".
// apps/build.ts compiles every app with `--use abort=sdk/abort/sdkAbort`.
import { panic_utf8 } from "./env";
import { bufOfStr, writeBuf, utf8 } from "./buffer";

export function sdkAbort(message: string | null = null, fileName: string | null = null, line: u32 = 0, column: u32 = 0): void {
  const msg = bufOfStr(message !== null ? message! : "explicit panic");
  const file = utf8(fileName !== null ? fileName! : "<unknown>");
  const loc = heap.alloc(24);
  writeBuf(loc, file.dataStart, <usize>file.length);
  store<u32>(loc + 16, line);
  store<u32>(loc + 20, column);
  panic_utf8(<u64>msg, <u64>loc);
  unreachable();
}
