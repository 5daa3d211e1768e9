/**
 * What an execution worker knows of one context's committed state at one state version: single values it read,
 * and key ranges it scanned ahead, inside which every key is known (a key of the range that has no value is
 * absent). Pure: the worker (worker.ts) asks the main thread on a miss and feeds the answer in here.
 *
 * The node answers a miss with the key's value and a bounded scan of the following keys of the context's state
 * ({@link ReadAhead}, packed by {@link packEntries}); the scan is cached only when the node vouches that it read
 * the very version the call reads. Whether and how far to scan adapts to the guest ({@link StateReads.nextAhead}):
 * twice the reads the previous scan answered, within [{@link MIN_AHEAD}, {@link MAX_AHEAD}], so an in-order walk
 * (an SDK map's `entries()`) soon reads hundreds of records per round trip, while scattered point reads stay
 * single reads.
 */

/** The node's answer to a read-ahead: the state's keys from the asked key on, in order, with their values. */
export interface ReadAhead {
  /** The committed version the scan read, or null when a commit overlapped it (then nothing may be cached). */
  version: number | null;
  /** Every key ≥ the asked key up to the last one listed, with its value ({@link packEntries}). */
  entries: Uint8Array;
  /** No key follows the last one listed (the scan reached the end of the context's state). */
  toEnd: boolean;
}

/**
 * The state keys one commit of a context wrote, between the stable versions before (`from`) and after it (`to`),
 * with no other commit of the context in between (the node's change log, src/node/optimistic.ts). A worker
 * carries the values it read at `from` over to `to`, with these keys at the values the commit wrote when the
 * change says them, else without these keys, instead of reading everything again after every write
 * ({@link ReadCache.at}).
 */
export interface StateChange {
  from: number;
  to: number;
  keys: Uint8Array[];
  /** When known: the value each key has after the commit (null: removed), in the order of `keys`. */
  values?: Array<Uint8Array | null>;
}

export const MIN_AHEAD = 16;
/** Misses answered by single reads before a scan is tried (again). */
export const PLAIN_MISSES = 8;
export const MAX_AHEAD = 256;
/** The node stops a scan once its values reach this many bytes (after the entry that crosses it). */
export const MAX_AHEAD_BYTES = 256 << 10;

/** Packs entries as (u32 key length, key, u32 value length, value)*: one buffer crosses the thread boundary. */
export function packEntries(entries: ReadonlyArray<readonly [Uint8Array, Uint8Array]>): Uint8Array {
  let size = 0;
  for (const [k, v] of entries) size += 8 + k.length + v.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const [k, v] of entries) {
    view.setUint32(at, k.length, true);
    out.set(k, at + 4);
    at += 4 + k.length;
    view.setUint32(at, v.length, true);
    out.set(v, at + 4);
    at += 4 + v.length;
  }
  return out;
}

export function unpackEntries(packed: Uint8Array): Array<[Uint8Array, Uint8Array]> {
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  const out: Array<[Uint8Array, Uint8Array]> = [];
  let at = 0;
  while (at < packed.length) {
    const kl = view.getUint32(at, true);
    const key = packed.subarray(at + 4, at + 4 + kl);
    at += 4 + kl;
    const vl = view.getUint32(at, true);
    out.push([key, packed.subarray(at + 4, at + 4 + vl)]);
    at += 4 + vl;
  }
  return out;
}

function compare(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

/** A map key for bytes (latin1: one character per byte, cheaper than hex). */
const nameOf = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');

/** A scanned range: every key k with lo ≤ k ≤ hi (hi null: no upper end) is known. */
interface Span {
  lo: Uint8Array;
  hi: Uint8Array | null;
}

/** One context's committed state at one version, as far as this worker has read it. */
export class StateReads {
  /** Values read one by one. */
  private readonly single = new Map<string, Uint8Array | null>();
  /** Values listed by scans (absent ones are those inside a span and in neither map). */
  private readonly scanned = new Map<string, Uint8Array>();
  /** Disjoint, sorted by lo. */
  private readonly spans: Span[] = [];
  /** Reads answered from scans since the last miss: what the next scan's length follows. */
  private answered = 0;
  /** Whether the last miss was answered by a scan. */
  private scanning = false;
  /** Single reads left before a scan is tried. */
  private plain = PLAIN_MISSES;
  bytes = 0;

  constructor(readonly version: number) {}

  /**
   * These reads carried over to `version` through `changes` (commits, oldest first): the values read one by
   * one or listed by scans, and for every key a commit between this version and `version` wrote, the value it
   * wrote when the change says it, else nothing (it is read again); scanned spans are not carried (a key a
   * commit added inside one would be taken for absent). Null when the changes do not lead
   * from this version to `version` without a gap.
   */
  advance(version: number, changes: readonly StateChange[]): StateReads | null {
    let at = this.version;
    /** Keys the commits wrote: their value after the last of them, undefined when a change did not say. */
    const written = new Map<string, Uint8Array | null | undefined>();
    for (const c of changes) {
      if (c.to <= at) continue;
      if (c.to > version) break;
      if (c.from !== at) return null;
      c.keys.forEach((k, i) => written.set(nameOf(k), c.values ? c.values[i] : undefined));
      at = c.to;
    }
    if (at !== version) return null;
    const next = new StateReads(version);
    for (const [k, v] of written) if (v !== undefined) next.remember(k, v);
    for (const known of [this.single, this.scanned] as Map<string, Uint8Array | null>[]) {
      for (const [k, v] of known) if (!written.has(k) && !next.single.has(k)) next.remember(k, v);
    }
    return next;
  }

  /** The value (null: absent) when known, undefined when the node must be asked. */
  get(key: Uint8Array): Uint8Array | null | undefined {
    const k = nameOf(key);
    const listed = this.scanned.get(k);
    if (listed !== undefined) {
      this.answered++;
      return listed;
    }
    const v = this.single.get(k);
    if (v !== undefined) return v;
    if (this.inSpan(key)) {
      this.answered++;
      return null;
    }
    return undefined;
  }

  /**
   * How to answer this miss (called once per miss): 0 for a single read, else how many entries to scan ahead.
   * Scans are tried after {@link PLAIN_MISSES} single reads, and grow while they answer reads; a scan that
   * answered none goes back to single reads, so scattered point reads (a `get`, a `set`) stay as cheap as before.
   */
  nextAhead(): number {
    if (this.scanning && this.answered > 0) {
      const n = Math.min(MAX_AHEAD, Math.max(MIN_AHEAD, 2 * this.answered));
      this.answered = 0;
      return n;
    }
    if (this.scanning) {
      this.scanning = false;
      this.plain = PLAIN_MISSES;
    }
    if (this.plain > 0) {
      this.plain--;
      return 0;
    }
    this.scanning = true;
    this.answered = 0;
    return MIN_AHEAD;
  }

  /** A single value read outside any scan. */
  putValue(key: Uint8Array, value: Uint8Array | null): void {
    this.remember(nameOf(key), value && value.slice());
  }

  /** Keeps a known value (null: absent) of one key, as is. */
  private remember(k: string, value: Uint8Array | null): void {
    if (!this.single.has(k)) this.bytes += k.length + (value?.length ?? 0) + 64;
    this.single.set(k, value);
  }

  /**
   * A scan from `from` (the missed key): `entries` are all keys from it on, up to the last listed (or to the
   * end). Their values are kept as they are, not copied: hand over buffers nobody changes afterwards.
   */
  putScan(from: Uint8Array, entries: ReadonlyArray<readonly [Uint8Array, Uint8Array]>, toEnd: boolean): Uint8Array | null {
    let value: Uint8Array | null = null;
    for (const [key, v] of entries) {
      const k = nameOf(key);
      if (this.scanned.has(k)) continue;
      this.scanned.set(k, v);
      this.bytes += k.length + v.length + 64;
    }
    if (entries.length > 0 && compare(entries[0]![0], from) === 0) value = this.scanned.get(nameOf(from))!;
    const last = entries.length > 0 ? entries[entries.length - 1]![0] : from;
    this.addSpan({ lo: from.slice(), hi: toEnd ? null : last.slice() });
    return value;
  }

  /** Index of the last span whose lo ≤ key, or -1. */
  private floor(key: Uint8Array): number {
    let lo = 0;
    let hi = this.spans.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compare(this.spans[mid]!.lo, key) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  private inSpan(key: Uint8Array): boolean {
    const i = this.floor(key);
    if (i < 0) return false;
    const hi = this.spans[i]!.hi;
    return hi === null || compare(key, hi) <= 0;
  }

  /** Adds a span, merging it with the spans it overlaps. */
  private addSpan(s: Span): void {
    let { lo, hi } = s;
    let at = this.floor(lo);
    // The span before may reach into the new one.
    if (at >= 0) {
      const prev = this.spans[at]!;
      if (prev.hi === null || compare(prev.hi, lo) >= 0) {
        lo = prev.lo;
        hi = prev.hi === null || hi === null ? null : compare(prev.hi, hi) > 0 ? prev.hi : hi;
      } else at++;
    } else at = 0;
    let end = at;
    while (end < this.spans.length && (hi === null || compare(this.spans[end]!.lo, hi) <= 0)) {
      const next = this.spans[end]!;
      if (hi !== null && (next.hi === null || compare(next.hi, hi) > 0)) hi = next.hi;
      end++;
    }
    this.spans.splice(at, end - at, { lo, hi });
    this.bytes += 2 * lo.length + 64;
  }
}

/**
 * The read caches of a worker: one {@link StateReads} per context, replaced when a call reads another version.
 * Bounded by bytes: past the bound everything is dropped (a scan still in use is then added afresh).
 */
export class ReadCache {
  private readonly contexts = new Map<string, StateReads>();

  constructor(private readonly maxBytes = 16 << 20) {}

  /**
   * The context's reads at `version`: the cached set, or the one of an earlier version carried over through
   * `changes` (see {@link StateReads.advance}), else a fresh set.
   */
  at(context: string, version: number, changes?: readonly StateChange[]): StateReads {
    let c = this.contexts.get(context);
    if (!c || c.version !== version) {
      c = (c && changes && c.version < version && c.advance(version, changes)) || new StateReads(version);
      this.contexts.set(context, c);
    }
    return c;
  }

  /** Drops everything when the caches hold more than the bound; returns the context's (possibly fresh) reads. */
  trim(context: string, c: StateReads): StateReads {
    let total = 0;
    for (const x of this.contexts.values()) total += x.bytes;
    if (total <= this.maxBytes) return c;
    this.contexts.clear();
    return this.at(context, c.version);
  }
}
