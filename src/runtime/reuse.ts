/**
 * Reuse of guest instances inside an execution worker. A fresh instance per call costs more than most calls do
 * (V8 builds the instance and its memory, and the garbage collector then reclaims one memory per call). A module
 * with a {@link ResetPlan} keeps the instance of its last call and, before handing it to the next, puts it back
 * into the state a fresh instance has right after instantiation: the memory's contents from a copy taken then,
 * every mutable global, every table element. Memory cannot shrink: an instance whose memory grew during its call
 * (Rust's allocator takes a page in every call) is kept while it is at most {@link GROWTH_CAP} larger than a fresh
 * one, with the pages beyond the copy zeroed as fresh pages are. A call in it can tell only by the memory's size
 * (and so by where its allocator places new pages); since the extra pages also leave it less room below its memory
 * limit, a call that fails in such an instance runs again in a fresh one ({@link Instances.retryFresh}), so every
 * failure is a fresh instance's. Not kept: an instance whose call failed, one whose table grew, any instance of a
 * module whose instantiation called the host (its start function saw one call's inputs, so its state is not a
 * fresh one's).
 */
import type { ExportSig, ResetPlan } from './module.ts';
import type { HostFunctions } from './host/call.ts';

/** Guest memory (and its copy) kept idle per worker, across modules; the least recently used goes first. */
const IDLE_BUDGET = 256 * 1024 * 1024;
/**
 * A module whose instances could not be reset this many times in a row (a call failed, a table grew), never reset
 * once, stops trying. Memory that grew past GROWTH_CAP in one call does not count: it says nothing about the next
 * call (upstream's kv_store grows by 17 pages in a `set` and by none in a `get`; counting it disabled reuse for good
 * on a node whose first calls were writes).
 */
const GIVE_UP_AFTER = 4;
/**
 * How much larger than a fresh instance's memory a kept instance's may be (16 pages). Raising it does not pay for
 * upstream's kv_store `set` (17 pages a call): a reused instance's allocator grows the memory again above the
 * zeroed pages, so only every other call could reuse, and copying and zeroing twice the memory cost as much as a
 * new instance (measured: 11.7 ms per set either way).
 */
export const GROWTH_CAP = 16 * 65_536;

/** An instance and what its state was right after instantiation. */
class Snapshot {
  private constructor(
    readonly instance: WebAssembly.Instance,
    private readonly memory: WebAssembly.Memory,
    private readonly image: Uint8Array,
    private readonly globals: Array<{ global: WebAssembly.Global; value: unknown }>,
    private readonly tables: Array<{ table: WebAssembly.Table; elements: unknown[] }>,
  ) {}

  static take(instance: WebAssembly.Instance, plan: ResetPlan): Snapshot | null {
    const memory = instance.exports['memory'];
    if (!(memory instanceof WebAssembly.Memory)) return null;
    const globals = plan.globals.map((n) => instance.exports[n] as WebAssembly.Global).map((global) => ({ global, value: global.value }));
    const tables = plan.tables.map((n) => instance.exports[n] as WebAssembly.Table).map((table) => {
      const elements: unknown[] = [];
      for (let i = 0; i < table.length; i++) elements.push(table.get(i));
      return { table, elements };
    });
    return new Snapshot(instance, memory, new Uint8Array(memory.buffer).slice(), globals, tables);
  }

  /** Bytes this snapshot keeps alive (the memory and its copy). */
  get bytes(): number {
    return this.memory.buffer.byteLength + this.image.byteLength;
  }

  /** Whether the instance's memory is larger than a fresh one's. */
  get grown(): boolean {
    return this.memory.buffer.byteLength > this.image.byteLength;
  }

  /**
   * Puts the instance back into its state at the snapshot, zeroing memory beyond it; otherwise says why it cannot
   * be (its memory grew by more than GROWTH_CAP, or a table grew).
   */
  reset(): 'reset' | 'grown' | 'table' {
    const now = this.memory.buffer;
    if (now.byteLength - this.image.byteLength > GROWTH_CAP) return 'grown';
    for (const t of this.tables) if (t.table.length !== t.elements.length) return 'table';
    const memory = new Uint8Array(now);
    memory.set(this.image);
    memory.fill(0, this.image.byteLength);
    for (const g of this.globals) g.global.value = g.value;
    for (const { table, elements } of this.tables) {
      for (let i = 0; i < elements.length; i++) if (table.get(i) !== elements[i]) table.set(i, elements[i]);
    }
    return 'reset';
  }
}

/** Modules holding an idle instance, least recently used first, and the bytes those hold. */
const idle = new Set<Instances>();
let idleBytes = 0;

/** One compiled module in one worker: instantiates it for each call, reusing the last instance when it may. */
export class Instances {
  /** Whether calls still try to reuse instances of this module. */
  private reusing: boolean;
  private spare: Snapshot | null = null;
  private inUse: Snapshot | null = null;
  /** Whether the instance in use was reused with a memory larger than a fresh one's. */
  private inUseGrown = false;
  private forwarding: WebAssembly.Imports | null = null;
  private starting = false;
  private calledAtStart = false;
  private failures = 0;
  /** Calls that found an instance to reuse (tests and benches read it). */
  reused = 0;

  /** `env`: the imports of every call (the worker's VMLogic: the same functions, which read the current call). */
  constructor(
    readonly module: WebAssembly.Module,
    readonly sigs: Record<string, ExportSig>,
    private readonly plan: ResetPlan | null,
    private readonly env: HostFunctions,
  ) {
    this.reusing = plan !== null;
  }

  /** An instance of the module for the next call; throws as `new WebAssembly.Instance`. */
  instantiate(): WebAssembly.Instance {
    const imports = this.reusing ? this.forward() : null;
    if (!imports) return new WebAssembly.Instance(this.module, { env: this.env });
    if (this.spare) {
      this.inUse = this.take();
      this.inUseGrown = this.inUse.grown;
      this.reused++;
      return this.inUse.instance;
    }
    this.inUseGrown = false;
    this.starting = true;
    this.calledAtStart = false;
    let instance: WebAssembly.Instance;
    try {
      instance = new WebAssembly.Instance(this.module, imports);
    } finally {
      this.starting = false;
    }
    if (this.calledAtStart) this.reusing = false;
    else this.inUse = Snapshot.take(instance, this.plan!);
    return instance;
  }

  /** After the call's answer is sent: keeps its instance for the next call when it succeeded and can be reset. */
  release(succeeded: boolean): void {
    const used = this.inUse;
    this.inUse = null;
    if (!used) return;
    const reset = succeeded && used.bytes <= IDLE_BUDGET ? used.reset() : 'failed';
    if (reset === 'reset') {
      this.failures = 0;
      this.keep(used);
      return;
    }
    if (reset !== 'grown' && ++this.failures >= GIVE_UP_AFTER && this.reused === 0) this.reusing = false;
  }

  /**
   * After a failed call: true when it ran in a reused instance whose memory had grown, which is then dropped, so
   * the caller runs the call again in a fresh instance (the next {@link instantiate} makes one).
   */
  retryFresh(): boolean {
    if (!this.inUse || !this.inUseGrown) return false;
    this.inUse = null;
    this.inUseGrown = false;
    return true;
  }

  /** Drops the idle instance (the module leaves the worker). */
  drop(): void {
    if (this.spare) this.take();
  }

  private take(): Snapshot {
    const s = this.spare!;
    this.spare = null;
    idle.delete(this);
    idleBytes -= s.bytes;
    return s;
  }

  private keep(s: Snapshot): void {
    this.spare = s;
    idle.add(this);
    idleBytes += s.bytes;
    for (const other of idle) {
      if (idleBytes <= IDLE_BUDGET) break;
      other.take();
    }
  }

  /**
   * The imports of reusable instances: `env`'s functions, each noting whether it is called while an instance is
   * being created; null (no reuse) when the module imports anything `env` does not define (instantiating it with
   * `env` itself then fails with the link error a call should report).
   */
  private forward(): WebAssembly.Imports | null {
    if (this.forwarding) return this.forwarding;
    const env = this.env;
    const wanted = WebAssembly.Module.imports(this.module);
    if (wanted.some((i) => i.module !== 'env' || i.kind !== 'function' || typeof env[i.name] !== 'function')) {
      this.reusing = false;
      return null;
    }
    const out: HostFunctions = {};
    for (const { name } of wanted) {
      const fn = env[name]!;
      out[name] = (...args: bigint[]) => {
        if (this.starting) this.calledAtStart = true;
        return fn(...args);
      };
    }
    this.forwarding = { env: out };
    return this.forwarding;
  }
}
