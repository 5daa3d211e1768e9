import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApps, outDir } from '../apps/build.ts';
import { Runtime, type CallRequest, type Outcome, type RuntimeHost } from '../src/runtime/index.ts';
import { Batch, Store } from '../src/store/store.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const CONTEXT = new Uint8Array(32).fill(7);
const EXECUTOR = new Uint8Array(32).fill(9);

function ok(o: Outcome): string {
  assert.equal(o.error, null, `unexpected error: ${o.error?.message}`);
  assert.ok(o.returns === null || 'ok' in o.returns, 'expected an ok return');
  return o.returns ? dec((o.returns as { ok: Uint8Array }).ok) : '';
}

const wasmOf = (app: string) => () => readFile(join(outDir, `${app}.wasm`));

/** A context on a real Store: reads committed state, and commits a mutation's writes atomically. */
class Ctx {
  constructor(
    public store: Store,
    readonly runtime: Runtime,
    readonly app: string,
    readonly contextId = CONTEXT,
  ) {}
  key(k: Uint8Array): Uint8Array {
    return Buffer.concat([this.contextId, k]);
  }
  host(): RuntimeHost {
    return { storageRead: (k) => this.store.get('state', this.key(k)) };
  }
  async call(method: string, args: unknown = {}, mode: 'mutate' | 'query' = 'mutate', extra: Partial<CallRequest> = {}): Promise<Outcome> {
    const o = await this.runtime.call({
      moduleId: this.app,
      wasm: wasmOf(this.app),
      method,
      input: typeof args === 'string' ? enc(args) : enc(JSON.stringify(args)),
      contextId: this.contextId,
      executorId: EXECUTOR,
      host: this.host(),
      ...extra,
    });
    if (mode === 'mutate' && !o.error && o.writes.size > 0) {
      const b = new Batch();
      for (const w of o.writes.values()) w.value ? b.put('state', this.key(w.key), w.value) : b.delete('state', this.key(w.key));
      await this.store.commit(b);
    }
    return o;
  }
  async json(method: string, args: unknown = {}, mode: 'mutate' | 'query' = 'mutate'): Promise<unknown> {
    const text = ok(await this.call(method, args, mode));
    return text === '' ? undefined : JSON.parse(text);
  }
  async stateKeys(): Promise<number> {
    let n = 0;
    for await (const _ of this.store.iterate('state', { prefix: this.contextId })) n++;
    return n;
  }
}

let dir: string;
let store: Store;
let runtime: Runtime;

before(async () => {
  await buildApps();
  dir = await mkdtemp(join(tmpdir(), 'runtime-test-'));
  store = await Store.open(join(dir, 'db'));
  runtime = new Runtime({ workers: 2, timeoutMs: 5_000 });
});

after(async () => {
  await runtime.close();
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

test('kv-store: upstream methods, events, logs, root hash and artifact', async () => {
  const kv = new Ctx(store, runtime, 'kv-store');
  const init = await kv.call('init');
  ok(init);
  assert.equal(init.rootHash?.length, 32);

  const set = await kv.call('set', { key: 'a', value: '1' });
  assert.equal(ok(set), 'null');
  assert.deepEqual(set.logs, ['Setting key: "a" to value: "1"']);
  assert.deepEqual(set.events.map((e) => [e.kind, JSON.parse(dec(e.data)), e.handler]), [['Inserted', { key: 'a', value: '1' }, null]]);
  assert.equal(set.rootHash?.length, 32);
  assert.ok(set.artifact.length > 4, 'a mutation reports its changes as the artifact');
  assert.notDeepEqual(set.rootHash, init.rootHash);

  const upd = await kv.call('set', { key: 'a', value: '2' });
  assert.deepEqual(upd.events.map((e) => e.kind), ['Updated']);
  await kv.json('set', { key: 'b', value: 'x' });
  assert.equal(await kv.json('get', { key: 'a' }, 'query'), '2');
  assert.equal(await kv.json('get', { key: 'zz' }, 'query'), null);
  assert.deepEqual(await kv.json('entries', {}, 'query'), { a: '2', b: 'x' });
  assert.equal(await kv.json('len', {}, 'query'), 2);
  assert.equal(await kv.json('update_if_exists', { key: 'b', value: 'y' }), true);
  assert.equal(await kv.json('update_if_exists', { key: 'nope', value: 'y' }), false);
  assert.equal(await kv.json('get_or_insert', { key: 'b', value: 'z' }), 'y');
  const goi = await kv.call('get_or_insert', { key: 'c', value: 'z' });
  assert.equal(JSON.parse(ok(goi)), 'z');
  assert.deepEqual(goi.events.map((e) => e.kind), ['Inserted']);

  const res = await kv.call('get_result', { key: 'missing' }, 'query');
  assert.equal(res.error, null);
  assert.deepEqual(res.returns && 'err' in res.returns ? JSON.parse(dec(res.returns.err)) : null, { kind: 'NotFound', data: 'missing' });
  const unchecked = await kv.call('get_unchecked', { key: 'missing' }, 'query');
  assert.equal(unchecked.error?.type, 'Panic');
  assert.match(unchecked.error!.message, /^guest panicked: key not found at kv-store\/index\.ts:\d+:\d+$/);
  assert.equal(await kv.json('get_unchecked', { key: 'c' }, 'query'), 'z');

  const rem = await kv.call('remove', { key: 'a' });
  assert.equal(JSON.parse(ok(rem)), '2');
  assert.deepEqual(rem.events.map((e) => [e.kind, JSON.parse(dec(e.data))]), [['Removed', { key: 'a' }]]);
  assert.deepEqual(await kv.json('entries', {}, 'query'), { b: 'y', c: 'z' });
  const clr = await kv.call('clear');
  assert.deepEqual(clr.events.map((e) => [e.kind, dec(e.data)]), [['Cleared', 'null']]);
  assert.equal(await kv.json('len', {}, 'query'), 0);
  assert.deepEqual(clr.rootHash, init.rootHash, 'same state, same root hash');

  const again = await kv.call('init');
  assert.equal(again.error?.message.startsWith('guest panicked: Cannot initialize over already existing state.'), true);
  const missingArgs = await kv.call('set', '');
  assert.match(missingArgs.error!.message, /Expected input since method has arguments/);
  const badArgs = await kv.call('set', { key: 'a' });
  assert.match(badArgs.error!.message, /Failed to deserialize input from JSON: missing field `value`/);
  const unknown = await kv.call('nope');
  assert.equal(unknown.error?.type, 'MethodNotFound');
  assert.equal(unknown.error?.message, 'method "nope" not found');
});

test('kv-store: a query never persists, reads see the call\'s own writes', async () => {
  const kv = new Ctx(store, runtime, 'kv-store', new Uint8Array(32).fill(8));
  ok(await kv.call('init'));
  ok(await kv.call('set', { key: 'k', value: 'committed' }));
  const before = await kv.stateKeys();
  const q = await kv.call('set', { key: 'k', value: 'query-only' }, 'query');
  ok(q);
  assert.ok(q.writes.size > 0, 'the write-set is reported');
  assert.equal(await kv.stateKeys(), before);
  assert.equal(await kv.json('get', { key: 'k' }, 'query'), 'committed');

  // set() reads the key list it wrote earlier in the same call (insert → index update)
  const two = await kv.call('get_or_insert', { key: 'n1', value: 'v' });
  ok(two);
  assert.deepEqual(await kv.json('entries', {}, 'query'), { k: 'committed', n1: 'v' });
});

test('kv-store: values persist across a restart (store reopened, new runtime)', async () => {
  const path = join(dir, 'restart');
  let s = await Store.open(path);
  let rt = new Runtime({ workers: 1 });
  let kv = new Ctx(s, rt, 'kv-store');
  ok(await kv.call('init'));
  ok(await kv.call('set', { key: 'durable', value: 'yes' }));
  ok(await kv.call('set', { key: 'other', value: '2' }));
  await rt.close();
  await s.close();

  s = await Store.open(path);
  rt = new Runtime({ workers: 1 });
  kv = new Ctx(s, rt, 'kv-store');
  try {
    assert.equal(await kv.json('get', { key: 'durable' }, 'query'), 'yes');
    assert.deepEqual(await kv.json('entries', {}, 'query'), { durable: 'yes', other: '2' });
    ok(await kv.call('remove', { key: 'other' }));
    assert.equal(await kv.json('len', {}, 'query'), 1);
  } finally {
    await rt.close();
    await s.close();
  }
});

test('misbehaving app: every fault ends its call with its error; the next call and the state are fine', async () => {
  const bad = new Ctx(store, runtime, 'misbehaving', new Uint8Array(32).fill(3));
  const cases: Array<[string, string, RegExp]> = [
    ['panic', 'Panic', /^guest panicked: deliberate panic at misbehaving\/index\.ts:\d+:\d+$/],
    ['write_then_panic', 'Panic', /^guest panicked: panic after write at misbehaving\/index\.ts:\d+:\d+$/],
    ['grow_memory', 'MemoryLimit', /^memory limit exceeded: the guest reached max_memory_pages \(1024 pages/],
    ['grow_raw', 'MemoryLimit', /max_memory_pages/],
    ['recurse', 'Trap', /^stack overflow$/],
    ['big_return', 'HostLimit', /^return value size overflow \(size: 11534336, max: 10485760\)$/],
    ['huge_log', 'HostLimit', /^log size overflow$/],
    ['many_logs', 'HostLimit', /^logs overflow$/],
    ['many_events', 'HostLimit', /^events overflow$/],
    ['huge_key', 'HostLimit', /^key length overflow$/],
    ['divide_by_zero', 'Trap', /^illegal arithmetic operation$/],
  ];
  for (const [method, type, message] of cases) {
    const o = await bad.call(method);
    assert.equal(o.error?.type, type, `${method}: ${o.error?.message}`);
    assert.match(o.error!.message, message, method);
    assert.equal(o.writes.size, 0, `${method}: a failed call reports no writes`);
    assert.equal(o.returns, null);
    assert.equal(JSON.parse(ok(await bad.call('ok'))), 'fine', `call after ${method}`);
  }
  const panic = await bad.call('panic');
  assert.equal(panic.error?.panic?.context, 'guest');
  assert.equal(panic.error?.panic?.location?.file, 'misbehaving/index.ts');
  assert.equal(await bad.stateKeys(), 0, 'nothing of the failed calls reached the store');
});

test('a runaway call is terminated at its deadline without blocking the main thread or other calls', async () => {
  const bad = new Ctx(store, runtime, 'misbehaving', new Uint8Array(32).fill(4));
  const kv = new Ctx(store, runtime, 'kv-store', new Uint8Array(32).fill(5));
  ok(await kv.call('init'));
  let ticks = 0;
  const timer = setInterval(() => ticks++, 20);
  const started = performance.now();
  const loop = bad.call('write_then_loop', {}, 'mutate', { timeoutMs: 600 });
  // While the loop spins in one worker, the other serves calls.
  for (let i = 0; i < 5; i++) ok(await kv.call('set', { key: `k${i}`, value: String(i) }));
  const o = await loop;
  clearInterval(timer);
  assert.equal(o.error?.type, 'Timeout');
  assert.equal(o.error?.message, 'execution timed out after 600 ms (the guest was terminated)');
  assert.equal(o.writes.size, 0);
  const elapsed = performance.now() - started;
  assert.ok(elapsed < 3_000, `the runaway call and five others took ${Math.round(elapsed)} ms`);
  assert.ok(ticks >= 10, `main thread kept running (${ticks} ticks)`);
  assert.equal(await kv.json('len', {}, 'query'), 5);
  assert.equal(JSON.parse(ok(await bad.call('ok'))), 'fine');
  assert.ok(runtime.stats().timeouts >= 1, 'the deadline is counted');
});

test('module cache: compiled once per application, instantiated per call', async () => {
  const rt = new Runtime({ workers: 1 });
  try {
    let loads = 0;
    const call = () =>
      rt.call({
        moduleId: 'cache-test',
        wasm: async () => {
          loads++;
          return readFile(join(outDir, 'abi.wasm'));
        },
        method: 'echo',
        input: enc('x'),
        contextId: CONTEXT,
        executorId: EXECUTOR,
        host: { storageRead: async () => null },
      });
    const first = await call();
    const second = await call();
    assert.equal(ok(first), 'x');
    assert.equal(ok(second), 'x');
    assert.equal(first.cached, false);
    assert.equal(second.cached, true);
    assert.equal(loads, 1);
    assert.equal(rt.stats().compiled, 1);
    rt.evict('cache-test');
    assert.equal((await call()).cached, false);
    assert.equal(loads, 2);
  } finally {
    await rt.close();
  }
});

test('an upstream-style module (Rust SDK import pattern) runs: DATA_REGISTER, merge hook, 32-byte keys, commit', async () => {
  const app = new Ctx(store, runtime, 'rust-like', new Uint8Array(32).fill(6));
  const init = await app.call('init');
  ok(init);
  assert.deepEqual(init.rootHash, new Uint8Array(32).fill(7));
  assert.equal(init.artifact.length, 8, 'artifact carried through commit');
  const again = await app.call('init');
  assert.match(again.error!.message, /^guest panicked: Cannot initialize over already existing state\. at src\/lib\.rs:42:9$/);
  const set = await app.call('set', 'hello');
  ok(set);
  assert.deepEqual(set.logs, ['hello']);
  assert.deepEqual(set.rootHash, new Uint8Array(32).fill(5));
  assert.equal(ok(await app.call('get', '', 'query')), 'hello');
});
