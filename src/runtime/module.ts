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

/** Reads the type, import, function and export sections to learn each exported function's arity. */
function exportSignatures(sections: Array<{ id: number; body: Uint8Array }>): Record<string, ExportSig> {
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
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        name(r);
        name(r);
        const kind = r.byte();
        if (kind === 0x00) funcTypes.push(r.u32());
        else if (kind === 0x01) {
          r.byte();
          skipLimits(r);
        } else if (kind === 0x02) skipLimits(r);
        else if (kind === 0x03) r.pos += 2;
        else if (kind === 0x04) {
          r.byte();
          r.u32();
        } else return out;
      }
    } else if (id === 3) {
      const n = r.u32();
      for (let i = 0; i < n; i++) funcTypes.push(r.u32());
    } else if (id === 7) {
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        const exportName = name(r);
        const kind = r.byte();
        const index = r.u32();
        const sig = kind === 0x00 ? types[funcTypes[index] ?? -1] : undefined;
        if (sig) out[exportName] = sig;
      }
    }
  }
  return out;
}

/** Checks the size, then bounds every defined memory to `maxPages`. Throws RuntimeError. */
export function prepareModule(input: Uint8Array, maxPages: number, maxModuleSize: number): PreparedModule {
  if (input.length > maxModuleSize) throw new RuntimeError(errors.moduleTooLarge(input.length, maxModuleSize));
  if (input.length < 8 || MAGIC.some((b, i) => input[i] !== b)) {
    throw new RuntimeError(errors.compilation('not a WebAssembly module (bad magic number)'));
  }
  const r = new Reader(input);
  r.pos = 8;
  const parts: Uint8Array[] = [input.subarray(0, 8)];
  const sections: Array<{ id: number; body: Uint8Array }> = [];
  let initialPages = 0;
  let exports: Record<string, ExportSig> = {};
  try {
    while (r.pos < input.length) {
      const start = r.pos;
      const id = r.byte();
      const size = r.u32();
      const bodyStart = r.pos;
      const end = bodyStart + size;
      if (end > input.length) throw new Error('section extends past the end of the module');
      if (id === 1 || id === 2 || id === 3 || id === 7) sections.push({ id, body: input.subarray(bodyStart, end) });
      if (id !== SECTION_MEMORY) {
        parts.push(input.subarray(start, end));
        r.pos = end;
        continue;
      }
      const count = r.u32();
      const body: number[] = [...leb(count)];
      for (let i = 0; i < count; i++) {
        const flags = r.byte();
        if (flags & 0x04) throw new Error('64-bit memories are not supported');
        const min = r.u32();
        const max = flags & 0x01 ? r.u32() : Infinity;
        if (min > maxPages) throw new RuntimeError(errors.memoryLimit(maxPages));
        const bounded = Math.min(max, maxPages);
        initialPages = Math.max(initialPages, min);
        body.push(flags | 0x01, ...leb(min), ...leb(bounded));
      }
      if (r.pos !== end) throw new Error('malformed memory section');
      parts.push(Uint8Array.from([id, ...leb(body.length), ...body]));
    }
    exports = exportSignatures(sections);
  } catch (err) {
    if (err instanceof RuntimeError) throw err;
    throw new RuntimeError(errors.compilation((err as Error).message));
  }
  const total = parts.reduce((n, p) => n + p.length, 0);
  const bytes = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    bytes.set(p, off);
    off += p.length;
  }
  return { bytes, initialPages, exports };
}

/** Compiles prepared bytes; compile errors become RuntimeError(InvalidModule). */
export async function compileModule(
  input: Uint8Array,
  maxPages: number,
  maxModuleSize: number,
): Promise<{ module: WebAssembly.Module; exports: Record<string, ExportSig> }> {
  const { bytes, exports } = prepareModule(input, maxPages, maxModuleSize);
  try {
    return { module: await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>), exports };
  } catch (err) {
    throw new RuntimeError(errors.compilation((err as Error).message));
  }
}
