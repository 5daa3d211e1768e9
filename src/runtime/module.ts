/**
 * Static handling of guest modules before compilation: size check and bounding of linear memory. The memory
 * section's maximum is rewritten to at most `maxMemoryPages`, so `memory.grow` past the limit fails inside the
 * engine (returns -1) instead of allocating; a module whose initial memory is already above the limit is refused.
 */
import { errors, RuntimeError } from './errors.ts';

const MAGIC = [0x00, 0x61, 0x73, 0x6d];
const SECTION_MEMORY = 5;

class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}
  byte(): number {
    if (this.pos >= this.buf.length) throw new Error('unexpected end of module');
    return this.buf[this.pos++]!;
  }
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) break;
      shift += 7;
      if (shift > 35) throw new Error('malformed LEB128 integer');
    }
    return result;
  }
}

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

/** Parameter and result counts of an exported function. */
export interface ExportSig {
  params: number;
  results: number;
}

export interface PreparedModule {
  /** The module bytes with bounded memory. */
  bytes: Uint8Array;
  /** Initial pages of the defined memory (0 when none). */
  initialPages: number;
  /** Exported functions and their arities (upstream refuses methods that take or return values). */
  exports: Record<string, ExportSig>;
  /** How an instance of it is put back into its state right after instantiation (null: it cannot be). */
  reset: ResetPlan | null;
}

interface Section {
  id: number;
  /** The whole section as it goes into the prepared module (id, size, body). */
  raw: Uint8Array;
  body: Uint8Array;
}

function skipLimits(r: Reader): void {
  const flags = r.byte();
  r.u32();
  if (flags & 0x01) r.u32();
}

function name(r: Reader): string {
  const len = r.u32();
  const s = new TextDecoder().decode(r.buf.subarray(r.pos, r.pos + len));
  r.pos += len;
  return s;
}

/**
 * The entries of an import section: each one's kind, and for a function its type index, for a global its value
 * type byte (0 for the other kinds). Null when an entry is of a kind this reader does not know.
 */
function readImports(body: Uint8Array): Array<{ kind: number; type: number }> | null {
  const r = new Reader(body);
  const out: Array<{ kind: number; type: number }> = [];
  for (let n = r.u32(); n > 0; n--) {
    name(r);
    name(r);
    const kind = r.byte();
    let type = 0;
    if (kind === 0x00) type = r.u32();
    else if (kind === 0x01) {
      r.byte();
      skipLimits(r);
    } else if (kind === 0x02) skipLimits(r);
    else if (kind === 0x03) {
      type = r.byte();
      r.byte(); // mutability
    } else if (kind === 0x04) {
      r.byte();
      r.u32();
    } else return null;
    out.push({ kind, type });
  }
  return out;
}

/** The entries of an export section, and its bytes after the entry count. */
function readExports(body: Uint8Array): { entries: Array<{ name: string; kind: number; index: number }>; rest: Uint8Array } {
  const r = new Reader(body);
  const count = r.u32();
  const rest = body.subarray(r.pos);
  const entries: Array<{ name: string; kind: number; index: number }> = [];
  for (let i = 0; i < count; i++) entries.push({ name: name(r), kind: r.byte(), index: r.u32() });
  return { entries, rest };
}

/** Reads the type, import, function and export sections to learn each exported function's arity. */
function exportSignatures(sections: Section[]): Record<string, ExportSig> {
  const types: ExportSig[] = [];
  const funcTypes: number[] = [];
  const out: Record<string, ExportSig> = Object.create(null);
  for (const { id, body } of sections) {
    const r = new Reader(body);
    if (id === 1) {
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        const form = r.byte();
        if (form !== 0x60) return out; // rec/sub types (GC proposal): give up on arity checks
        const params = r.u32();
        r.pos += params;
        const results = r.u32();
        r.pos += results;
        types.push({ params, results });
      }
    } else if (id === 2) {
      const imports = readImports(body);
      if (!imports) return out;
      for (const i of imports) if (i.kind === 0x00) funcTypes.push(i.type);
    } else if (id === 3) {
      const n = r.u32();
      for (let i = 0; i < n; i++) funcTypes.push(r.u32());
    } else if (id === 7) {
      for (const e of readExports(body).entries) {
        const sig = e.kind === 0x00 ? types[funcTypes[e.index] ?? -1] : undefined;
        if (sig) out[e.name] = sig;
      }
    }
  }
  return out;
}

/**
 * Export names this node adds for {@link ResetPlan}. They contain ':', which no method name may (exec.ts), so no
 * client can call or even name them.
 */
export const RESET_GLOBAL = 'merod:global:';
export const RESET_TABLE = 'merod:table:';

/**
 * What it takes to put a used instance back into the state a fresh one has right after instantiation (reuse of
 * instances, src/runtime/reuse.ts): its memory (restored from a copy taken then), its mutable globals and its
 * tables (exported under the names below so the runtime can reach them; unexported ones have no other handle).
 * A module whose instances cannot be reset so that no call can tell has no plan: one with passive data or element
 * segments (a call may drop them), mutable globals of types JavaScript cannot read and write (v128, GC
 * references), or a construct this reader does not know.
 */
export interface ResetPlan {
  globals: string[];
  tables: string[];
}

/** Skips a LEB128 number of any width. */
function skipLeb(r: Reader): void {
  while (r.byte() & 0x80);
}

const NUMERIC_TYPES = new Set([0x7f, 0x7e, 0x7d, 0x7c]); // i32 i64 f32 f64
const REF_TYPES = new Set([0x70, 0x6f]); // funcref externref

/** Whether JavaScript can read and write a global of this value type (not v128, not GC references). */
function resettableType(t: number): boolean {
  return NUMERIC_TYPES.has(t) || REF_TYPES.has(t);
}

/** Skips a constant expression (including the extended-constant arithmetic); false for anything else. */
function skipConstExpr(r: Reader): boolean {
  for (;;) {
    const op = r.byte();
    if (op === 0x0b) return true; // end
    if (op === 0x41 || op === 0x42 || op === 0x23 || op === 0xd2) skipLeb(r); // i32/i64.const, global.get, ref.func
    else if (op === 0x43) r.pos += 4; // f32.const
    else if (op === 0x44) r.pos += 8; // f64.const
    else if (op === 0xd0) r.byte(); // ref.null
    else if (![0x6a, 0x6b, 0x6c, 0x7c, 0x7d, 0x7e].includes(op)) return false; // i32/i64 add, sub, mul
  }
}

function skipFuncIndices(r: Reader): void {
  for (let n = r.u32(); n > 0; n--) r.u32();
}

function skipConstExprs(r: Reader): boolean {
  for (let n = r.u32(); n > 0; n--) if (!skipConstExpr(r)) return false;
  return true;
}

/**
 * Works out the {@link ResetPlan} of a module and adds its exports to the export section (in `sections`). Leaves
 * everything as it is and answers null when the module's instances are not to be reused.
 */
function resetPlan(sections: Section[]): ResetPlan | null {
  let importedGlobals = 0;
  let importedTables = 0;
  const mutableGlobals: number[] = [];
  let tables = 0;
  let memories = 0;
  let exportSection: Section | undefined;
  for (const section of sections) {
    const r = new Reader(section.body);
    switch (section.id) {
      case 2: {
        // imports: tables and globals imported come first in their index spaces
        const imports = readImports(section.body);
        if (!imports) return null;
        for (const { kind, type } of imports) {
          if (kind === 0x01) importedTables++;
          else if (kind === 0x03 && resettableType(type)) importedGlobals++;
          else if (kind !== 0x00) return null; // an imported memory is not this instance's to reset; tags
        }
        break;
      }
      case 4: // tables
        for (let n = r.u32(); n > 0; n--) {
          if (!REF_TYPES.has(r.byte())) return null; // includes tables with an initialiser expression (0x40)
          skipLimits(r);
          tables++;
        }
        break;
      case 5:
        memories = r.u32();
        break;
      case 6: // globals
        for (let i = 0, n = r.u32(); i < n; i++) {
          if (!resettableType(r.byte())) return null;
          if (r.byte() === 0x01) mutableGlobals.push(importedGlobals + i);
          if (!skipConstExpr(r)) return null;
        }
        break;
      case 7:
        exportSection = section;
        break;
      case 9: // elements: a passive segment can be dropped by a call
        for (let n = r.u32(); n > 0; n--) {
          const flags = r.u32();
          if (flags === 1 || flags === 5 || flags > 7) return null;
          if (flags === 2 || flags === 6) r.u32(); // table index
          if (flags !== 3 && flags !== 7 && !skipConstExpr(r)) return null; // offset of an active segment
          if (flags === 0 || flags === 4) {
            // table 0, no element kind or type
          } else r.byte(); // element kind or reference type
          if (flags < 4) skipFuncIndices(r);
          else if (!skipConstExprs(r)) return null;
        }
        break;
      case 11: // data: a passive segment can be dropped by a call
        for (let n = r.u32(); n > 0; n--) {
          const flags = r.u32();
          if (flags === 1 || flags > 2) return null;
          if (flags === 2) r.u32(); // memory index
          if (!skipConstExpr(r)) return null;
          const size = r.u32();
          r.pos += size;
        }
        break;
    }
  }
  // One memory (the one exported as `memory`, which the reset restores); without an export section there is no
  // memory export either, and such a module fails every call anyway.
  if (memories !== 1 || !exportSection) return null;
  const { entries, rest } = readExports(exportSection.body);
  const taken = new Set(entries.map((e) => e.name));
  const added: number[] = [];
  const plan: ResetPlan = { globals: [], tables: [] };
  const add = (exportName: string, kind: number, index: number, into: string[]) => {
    const bytes = new TextEncoder().encode(exportName);
    added.push(...leb(bytes.length), ...bytes, kind, ...leb(index));
    into.push(exportName);
  };
  for (const g of mutableGlobals) add(`${RESET_GLOBAL}${g}`, 0x03, g, plan.globals);
  for (let t = 0; t < tables; t++) add(`${RESET_TABLE}${importedTables + t}`, 0x01, importedTables + t, plan.tables);
  if ([...plan.globals, ...plan.tables].some((n) => taken.has(n))) return null;
  const newBody = Uint8Array.from([...leb(entries.length + plan.globals.length + plan.tables.length), ...rest, ...added]);
  exportSection.raw = Uint8Array.from([7, ...leb(newBody.length), ...newBody]);
  return plan;
}

/** Checks the size, bounds every defined memory to `maxPages`, and exports what a reset needs. Throws RuntimeError. */
export function prepareModule(input: Uint8Array, maxPages: number, maxModuleSize: number): PreparedModule {
  if (input.length > maxModuleSize) throw new RuntimeError(errors.moduleTooLarge(input.length, maxModuleSize));
  if (input.length < 8 || MAGIC.some((b, i) => input[i] !== b)) {
    throw new RuntimeError(errors.compilation('not a WebAssembly module (bad magic number)'));
  }
  const r = new Reader(input);
  r.pos = 8;
  const sections: Section[] = [];
  let initialPages = 0;
  let exports: Record<string, ExportSig> = {};
  let plan: ResetPlan | null = null;
  try {
    while (r.pos < input.length) {
      const start = r.pos;
      const id = r.byte();
      const size = r.u32();
      const bodyStart = r.pos;
      const end = bodyStart + size;
      if (end > input.length) throw new Error('section extends past the end of the module');
      const section: Section = { id, raw: input.subarray(start, end), body: input.subarray(bodyStart, end) };
      sections.push(section);
      r.pos = end;
      if (id !== SECTION_MEMORY) continue;
      const m = new Reader(section.body);
      const count = m.u32();
      const body: number[] = [...leb(count)];
      for (let i = 0; i < count; i++) {
        const flags = m.byte();
        if (flags & 0x04) throw new Error('64-bit memories are not supported');
        const min = m.u32();
        const max = flags & 0x01 ? m.u32() : Infinity;
        if (min > maxPages) throw new RuntimeError(errors.memoryLimit(maxPages));
        const bounded = Math.min(max, maxPages);
        initialPages = Math.max(initialPages, min);
        body.push(flags | 0x01, ...leb(min), ...leb(bounded));
      }
      if (m.pos !== section.body.length) throw new Error('malformed memory section');
      section.raw = Uint8Array.from([id, ...leb(body.length), ...body]);
    }
    exports = exportSignatures(sections);
    plan = resetPlan(sections);
  } catch (err) {
    if (err instanceof RuntimeError) throw err;
    throw new RuntimeError(errors.compilation((err as Error).message));
  }
  const parts: Uint8Array[] = [input.subarray(0, 8), ...sections.map((s) => s.raw)];
  const total = parts.reduce((n, p) => n + p.length, 0);
  const bytes = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    bytes.set(p, off);
    off += p.length;
  }
  return { bytes, initialPages, exports, reset: plan };
}

/** Compiles prepared bytes; compile errors become RuntimeError(InvalidModule). */
export async function compileModule(
  input: Uint8Array,
  maxPages: number,
  maxModuleSize: number,
): Promise<{ module: WebAssembly.Module; exports: Record<string, ExportSig>; reset: ResetPlan | null }> {
  const { bytes, exports, reset } = prepareModule(input, maxPages, maxModuleSize);
  try {
    return { module: await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>), exports, reset };
  } catch (err) {
    throw new RuntimeError(errors.compilation((err as Error).message));
  }
}
