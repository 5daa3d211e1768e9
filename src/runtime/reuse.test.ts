import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileModule, prepareModule } from './module.ts';
import { GROWTH_CAP, Instances } from './reuse.ts';
import { execute } from './exec.ts';
import { VMLogic } from './logic.ts';
import { DEFAULT_LIMITS } from './limits.ts';
import { syncHost } from './services.ts';

const wabt = await (await import('wabt')).default();

function wasm(text: string): Uint8Array {
  const mod = wabt.parseWat('test.wat', text, { reference_types: true, bulk_memory: true, simd: true });
  try {
    return mod.toBinary({}).buffer;
  } finally {
    mod.destroy();
  }
}

/** What the guest passed to `note` during the current call. */
let notes: bigint[] = [];
const env = { note: (x: bigint) => void notes.push(x) };

async function instancesOf(text: string, maxPages = 16): Promise<Instances> {
  const { module, exports, reset } = await compileModule(wasm(text), maxPages, 1 << 20);
  return new Instances(module, exports, reset, env);
}

/** Reports its global, a memory byte and what table slot 0 calls, then changes all three. */
const STATEFUL = `(module
  (import "env" "note" (func $note (param i64)))
  (type $r (func (result i64)))
  (memory (export "memory") 1 4)
  (global $g (mut i64) (i64.const 7))
  (table $t 2 funcref)
  (elem (i32.const 0) $f100 $f200)
  (data (i32.const 16) "\\2a")
  (func $f100 (result i64) (i64.const 100))
  (func $f200 (result i64) (i64.const 200))
  (func (export "run")
    (call $note (global.get $g))
    (call $note (i64.load8_u (i32.const 16)))
    (call $note (call_indirect (type $r) (i32.const 0)))
    (global.set $g (i64.add (global.get $g) (i64.const 1)))
    (i32.store8 (i32.const 16) (i32.const 99))
    (table.set $t (i32.const 0) (ref.func $f200)))
  (func (export "grow") (drop (memory.grow (i32.const 1))) (i32.store8 (i32.const 65536) (i32.const 5)))
  (func (export "probe")
    (call $note (i64.extend_i32_u (memory.size)))
    (if (i32.gt_u (memory.size) (i32.const 1)) (then (call $note (i64.load8_u (i32.const 65536)))))))`;

/** One call as the worker makes it: instantiate, run `fn`, release; returns what the guest noted. */
function call(instances: Instances, fn: string, succeeded = true): { notes: bigint[]; instance: WebAssembly.Instance } {
  notes = [];
  const instance = instances.instantiate();
  (instance.exports[fn] as () => void)();
  instances.release(succeeded);
  return { notes, instance };
}

test('a reused instance starts every call in the state of a fresh one: memory, mutable globals, tables', async () => {
  const instances = await instancesOf(STATEFUL);
  const first = call(instances, 'run');
  for (let i = 0; i < 3; i++) {
    const again = call(instances, 'run');
    assert.deepEqual(again.notes, [7n, 42n, 100n]);
    assert.equal(again.instance, first.instance);
  }
  assert.deepEqual(first.notes, [7n, 42n, 100n]);
  assert.equal(instances.reused, 3);
});

test('an instance whose memory grew a little is reused with the grown pages zeroed; a failed call\'s is not', async () => {
  const instances = await instancesOf(STATEFUL);
  const grown = call(instances, 'grow');
  const next = call(instances, 'run');
  assert.equal(next.instance, grown.instance);
  assert.deepEqual(next.notes, [7n, 42n, 100n]);
  // Larger than a fresh instance's memory (that is all a call can tell), and the grown page is zero again.
  assert.deepEqual(call(instances, 'probe').notes, [2n, 0n]);
  const failed = call(instances, 'run', false);
  assert.notEqual(call(instances, 'run').instance, failed.instance);
});

/** Instances of a module whose `grow` grows its memory by one page more than GROWTH_CAP (and `run` does nothing). */
function pastTheCap(): Promise<Instances> {
  const pages = GROWTH_CAP / 65_536 + 1;
  return instancesOf(`(module
    (memory (export "memory") 1 128)
    (func (export "run"))
    (func (export "grow") (drop (memory.grow (i32.const ${pages})))))`, 128);
}

test('an instance whose memory grew by more than GROWTH_CAP is not reused', async () => {
  const instances = await pastTheCap();
  const grown = call(instances, 'grow');
  assert.notEqual(call(instances, 'run').instance, grown.instance);
});

test('calls that grew memory past GROWTH_CAP, however many come first, do not stop the reuse of later calls\' instances', async () => {
  const instances = await pastTheCap();
  for (let i = 0; i < 6; i++) call(instances, 'grow'); // e.g. upstream kv_store's first writes
  const first = call(instances, 'run');
  assert.equal(call(instances, 'run').instance, first.instance);
  assert.ok(instances.reused > 0);
});

test('a call that fails in a reused instance whose memory grew runs again in a fresh instance', async () => {
  // `check` traps when the memory is larger than a fresh instance's: as a call near its memory limit would, with
  // the grown pages taking the room it needs.
  const logic = new VMLogic();
  const { module, exports, reset } = await compileModule(
    wasm(`(module
      (memory (export "memory") 1 64)
      (func (export "grow") (drop (memory.grow (i32.const 1))))
      (func (export "check") (if (i32.gt_u (memory.size) (i32.const 1)) (then unreachable))))`),
    64,
    1 << 20,
  );
  const instances = new Instances(module, exports, reset, logic.env);
  const input = { input: new Uint8Array(0), contextId: new Uint8Array(32), executorId: new Uint8Array(32), limits: { ...DEFAULT_LIMITS }, host: syncHost([], () => assert.fail('no host call expected')) };
  const run = (method: string) => {
    const outcome = execute(instances, logic, method, input);
    instances.release(outcome.error === null);
    return outcome;
  };
  assert.equal(run('grow').error, null);
  const before = instances.reused;
  assert.equal(run('check').error, null, 'the failure in the grown instance is not reported: a fresh one ran the call');
  assert.equal(instances.reused, before + 1, 'the first attempt did reuse the grown instance');
  assert.equal(run('check').error, null);
});

test('a module whose start function calls the host is instantiated afresh for every call', async () => {
  const instances = await instancesOf(`(module
    (import "env" "note" (func $note (param i64)))
    (memory (export "memory") 1)
    (func $start (call $note (i64.const 1)))
    (start $start)
    (func (export "run")))`);
  const seen = new Set<WebAssembly.Instance>();
  for (let i = 0; i < 3; i++) {
    const c = call(instances, 'run');
    assert.deepEqual(c.notes, [1n]);
    seen.add(c.instance);
  }
  assert.equal(seen.size, 3);
  assert.equal(instances.reused, 0);
});

test('modules a reset could not make indistinguishable from fresh get no plan, and still compile', async () => {
  const cases = {
    'passive data': '(module (memory (export "memory") 1) (data "x") (func (export "run") (data.drop 0)))',
    'passive elements': '(module (memory (export "memory") 1) (table 1 funcref) (elem func $f) (func $f) (func (export "run") (elem.drop 0)))',
    'v128 global': '(module (memory (export "memory") 1) (global (mut v128) (v128.const i64x2 0 0)) (func (export "run")))',
    'imported memory': '(module (import "env" "memory" (memory 1)) (func (export "run")))',
    'a name of ours taken': '(module (memory (export "memory") 1) (global $g (mut i32) (i32.const 0)) (export "merod:global:0" (global $g)) (func (export "run")))',
  };
  for (const [what, text] of Object.entries(cases)) {
    const bytes = wasm(text);
    assert.equal(prepareModule(bytes, 16, 1 << 20).reset, null, what);
    await compileModule(bytes, 16, 1 << 20);
  }
  assert.deepEqual(prepareModule(wasm(STATEFUL), 16, 1 << 20).reset, { globals: ['merod:global:0'], tables: ['merod:table:0'] });
});

test('imports the call does not offer fail to link, as without reuse', async () => {
  const instances = await instancesOf('(module (import "env" "missing" (func)) (memory (export "memory") 1) (func (export "run")))');
  assert.throws(() => instances.instantiate(), WebAssembly.LinkError);
});
