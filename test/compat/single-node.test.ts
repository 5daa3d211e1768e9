/**
 * Every client-callable method of the upstream-built kv_store and sync_test (the compatibility corpus) on one
 * real node, through `POST /jsonrpc` `execute`, against the answers upstream merod 0.10.0 gives: returned
 * values, app errors (`Err`, answered as `FunctionCallError` "the method call returned an error: [bytes]"),
 * guest panics (`FunctionCallError` "guest panicked: … at file:line:col"), kv_store's events as a WebSocket
 * subscriber sees them, and the state after the node is stopped and started again on the same home.
 *
 * The expected answers are derived from the apps' sources (calimero-network/core: apps/kv-store/src/lib.rs at
 * 8ebbec038, apps/sync-test/src/lib.rs at 41c4de6ef) and the SDK of those commits: `app::bail!` of a
 * Serialize error gives its serde JSON as a serde_json::Value (keys sorted: `{"data":…,"kind":…}`), an error
 * converted by `?` gives its Display text as a JSON string, and the generated wrappers panic with
 * serde_json's Debug of a bad input, at the method's name. Panic
 * locations are the binaries' own `Location` records: kv_store's match its source; sync_test.wasm, committed
 * with its source in 41c4de6ef, was built from a slightly different revision of lib.rs (e.g. `counter_inc` is
 * at line 243 in the binary, 240 in the committed file), so its lines are read from the binary's data section.
 * The corpus is read from ../shared/compat/upstream-apps (or $CALIMERO_COMPAT_APPS), never copied.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startNode, type TestNode } from '../helpers/node.ts';
import { api } from '../helpers/http.ts';
import { until } from '../helpers/until.ts';
import { CORPUS, requireCorpus } from './corpus.ts';
import { createContext } from '../helpers/share.ts';
import { encodeId } from '../../src/util/ids.ts';

const APPS = ['kv_store', 'sync_test'] as const;
type App = (typeof APPS)[number];

let N: TestNode;
const ctx = {} as Record<App, string>;
/** The context's creator (memberPublicKey), the executor of every call unless another is named. */
const owner = {} as Record<App, string>;
/** sync_test: a second member of the same context on the same node, for user-owned storage. */
let other: string;

type Answer = { output: unknown } | { error: { type: string; data?: unknown } };

/** One `execute` call; the answer is the JSON-RPC `result.output` or `error`, as the node gave it. */
async function rpc(app: App, method: string, args: unknown, executor = owner[app]): Promise<Answer> {
  const r = await api(N.url).post('/jsonrpc', {
    jsonrpc: '2.0',
    id: 7,
    method: 'execute',
    params: { contextId: ctx[app], method, argsJson: args, executorPublicKey: executor },
  });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.jsonrpc, '2.0');
  assert.equal(r.json.id, 7);
  if ('error' in r.json) {
    assert.equal(r.json.result, undefined, r.text);
    return { error: r.json.error };
  }
  return { output: r.json.result.output };
}

const ok = (output: unknown): Answer => ({ output });
/** serde_json's compact text of a `serde_json::Value`; the apps' serde_json has no preserve_order, so keys are sorted. */
const valueJson = (v: unknown): string =>
  JSON.stringify(v, (_k, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x));
/**
 * An `Err` the method returned. The SDK turns the error into a serde_json::Value (app::Error), so its keys come
 * out sorted (`data` before `kind`); upstream prints those JSON bytes with Rust's Debug of a Vec<u8>.
 */
const appErr = (json: unknown): Answer => ({
  error: { type: 'FunctionCallError', data: `the method call returned an error: [${[...Buffer.from(valueJson(json))].join(', ')}]` },
});
const panicked = (message: string, at: string): Answer => ({ error: { type: 'FunctionCallError', data: `guest panicked: ${message} at ${at}` } });

/** A WebSocket subscriber of one context, keeping the events it is sent. */
async function subscribe(contextId: string): Promise<{ events: any[]; close(): void }> {
  const ws = new WebSocket(`${N.url.replace('http', 'ws')}/ws`);
  await new Promise((res, rej) => (ws.once('open', res), ws.once('error', rej)));
  const events: any[] = [];
  let subscribed = false;
  ws.on('message', (d) => {
    const f = JSON.parse(String(d));
    if (f.id === 1) subscribed = true;
    else if (f.id === null) events.push(f.result);
  });
  ws.send(JSON.stringify({ id: 1, method: 'subscribe', params: { contextIds: [contextId] } }));
  await until('subscribed', async () => subscribed);
  return { events, close: () => ws.close() };
}

before(async () => {
  requireCorpus(APPS);
  N = await startNode({ initArgs: ['--no-mdns'] });
  const a = api(N.url);
  for (const app of APPS) {
    // Both apps' `init` takes no arguments.
    ({ ctx: ctx[app], member: owner[app] } = await createContext(N, join(CORPUS, `${app}.wasm`), [...Buffer.from('{}')]));
  }
  // A second identity of this node, made a member of sync_test's context by invitation.
  other = (await a.post('/admin-api/identity/context')).json.data.publicKey;
  const inv = await a.post('/admin-api/contexts/invite', { contextId: ctx.sync_test, inviterId: owner.sync_test, inviteeId: other });
  assert.equal(inv.status, 200, inv.text);
  const joined = await a.post('/admin-api/contexts/join', { invitationPayload: inv.json.data });
  assert.equal(joined.status, 200, joined.text);
});

after(() => N?.kill());

test('kv_store: every method, its errors and panics, and the events a subscriber gets', async () => {
  const sub = await subscribe(ctx.kv_store);
  try {
    const kv = (method: string, args: unknown) => rpc('kv_store', method, args);
    assert.deepEqual(await kv('len', {}), ok(0));
    assert.deepEqual(await kv('entries', {}), ok({}));
    assert.deepEqual(await kv('get', { key: 'a' }), ok(null));

    // set: Inserted for a new key, Updated for an existing one; returns `()` (null).
    assert.deepEqual(await kv('set', { key: 'a', value: '1' }), ok(null));
    assert.deepEqual(await kv('set', { key: 'b', value: '2' }), ok(null));
    assert.deepEqual(await kv('set', { key: 'a', value: '10' }), ok(null));
    assert.deepEqual(await kv('get', { key: 'a' }), ok('10'));
    assert.deepEqual(await kv('len', {}), ok(2));

    // update_if_exists: true (and Updated) only for an existing key.
    assert.deepEqual(await kv('update_if_exists', { key: 'b', value: '20' }), ok(true));
    assert.deepEqual(await kv('update_if_exists', { key: 'zz', value: 'no' }), ok(false));
    assert.deepEqual(await kv('get', { key: 'b' }), ok('20'));
    assert.deepEqual(await kv('get', { key: 'zz' }), ok(null));

    // get_or_insert: inserts (and emits Inserted) only when vacant; returns the stored value either way.
    assert.deepEqual(await kv('get_or_insert', { key: 'c', value: '3' }), ok('3'));
    assert.deepEqual(await kv('get_or_insert', { key: 'c', value: 'ignored' }), ok('3'));

    // get_unchecked / get_result: the value, or a panic (`expect`) / an Err(NotFound) for a missing key.
    assert.deepEqual(await kv('get_unchecked', { key: 'c' }), ok('3'));
    assert.deepEqual(await kv('get_unchecked', { key: 'missing' }), panicked('key not found', 'apps/kv-store/src/lib.rs:136:33'));
    assert.deepEqual(await kv('get_result', { key: 'a' }), ok('10'));
    assert.deepEqual(await kv('get_result', { key: 'missing' }), appErr({ kind: 'NotFound', data: 'missing' }));

    assert.deepEqual(await kv('entries', {}), ok({ a: '10', b: '20', c: '3' }));

    // remove: the old value (null when absent); Removed is emitted either way.
    assert.deepEqual(await kv('remove', { key: 'b' }), ok('20'));
    assert.deepEqual(await kv('remove', { key: 'b' }), ok(null));
    assert.deepEqual(await kv('len', {}), ok(2));

    // Bad input: the generated wrapper panics with serde_json's Debug of the error, at the method's name.
    assert.deepEqual(
      await kv('set', { key: 'x' }),
      panicked('Failed to deserialize input from JSON: Error("missing field `value`", line: 1, column: 11)', 'apps/kv-store/src/lib.rs:44:12'),
    );
    assert.deepEqual(
      await kv('get', null),
      panicked('Failed to deserialize input from JSON: Error("invalid type: null, expected struct CalimeroInput", line: 1, column: 4)', 'apps/kv-store/src/lib.rs:126:12'),
    );
    assert.deepEqual(await kv('init', {}), panicked('Cannot initialize over already existing state.', 'apps/kv-store/src/lib.rs:38:12'));
    assert.deepEqual(await kv('no_such_method', {}), { error: { type: 'FunctionCallError', data: 'method "no_such_method" not found' } });

    // clear: everything gone, Cleared (a unit variant: its data is JSON `null`).
    assert.deepEqual(await kv('clear', {}), ok(null));
    assert.deepEqual(await kv('entries', {}), ok({}));
    assert.deepEqual(await kv('len', {}), ok(0));
    assert.deepEqual(await kv('set', { key: 'kept', value: 'across restarts' }), ok(null));

    // The events, in call order, as upstream's ExecutionEvent {kind, data: bytes, handler: null}; failed calls
    // and reads emit nothing.
    const ev = (kind: string, data: unknown) => ({ kind, data: [...Buffer.from(JSON.stringify(data))], handler: null });
    const expected = [
      ev('Inserted', { key: 'a', value: '1' }),
      ev('Inserted', { key: 'b', value: '2' }),
      ev('Updated', { key: 'a', value: '10' }),
      ev('Updated', { key: 'b', value: '20' }),
      ev('Inserted', { key: 'c', value: '3' }),
      ev('Removed', { key: 'b' }),
      ev('Removed', { key: 'b' }),
      ev('Cleared', null),
      ev('Inserted', { key: 'kept', value: 'across restarts' }),
    ];
    const emitted = () => sub.events.flatMap((e) => e.data.events);
    await until('all kv_store events pushed', async () => emitted().length >= expected.length, 10_000);
    assert.deepEqual(emitted(), expected);
    for (const e of sub.events) {
      assert.equal(e.contextId, ctx.kv_store);
      assert.equal(e.type, 'StateMutation');
      assert.deepEqual(Object.keys(e.data), ['newRoot', 'events']);
    }
    const root = (await api(N.url).get(`/admin-api/contexts/${ctx.kv_store}`)).json.data.rootHash;
    assert.equal(sub.events.at(-1).data.newRoot, root, "the last event's newRoot is the context's root");
  } finally {
    sub.close();
  }
});

/** sync_test's StateSnapshot as its `snapshot` returns it (serde field order). */
function snapshot(kv: Record<string, string>, counters: Record<string, number>, deleted: number, ops: number) {
  return {
    public_kv_count: Object.keys(kv).length,
    public_kv_entries: kv,
    public_counter_values: counters,
    deleted_keys_count: deleted,
    frozen_count: 0,
    operation_count: ops,
  };
}

/** sync_test's methods that increment operation_count (once per successful call, whatever they did). */
const COUNTED = new Set('set delete batch_set counter_inc counter_dec stats_inc stats_dec user_set_simple user_set_kv user_delete_kv user_counter_inc frozen_add bulk_write bulk_delete bulk_counter_inc'.split(' '));
let ops = 0;
/** rpc() on sync_test, keeping `ops` (the expected operation_count) up to date. */
async function st(method: string, args: unknown, executor?: string): Promise<Answer> {
  const a = await rpc('sync_test', method, args, executor);
  if (COUNTED.has(method) && 'output' in a) ops += 1;
  return a;
}

test('sync_test: public key-values, counters and nested stats', async () => {
  assert.deepEqual(await st('len', {}), ok(0));
  assert.deepEqual(await st('get', { key: 'k1' }), ok(null));
  assert.deepEqual(await st('set', { key: 'k1', value: 'v1' }), ok(null));
  assert.deepEqual(await st('set', { key: 'k1', value: 'v1b' }), ok(null));
  assert.deepEqual(await st('get', { key: 'k1' }), ok('v1b'));
  assert.deepEqual(await st('batch_set', { pairs: [['k2', 'v2'], ['k3', 'v3'], ['k4', 'v4']] }), ok(3));
  assert.deepEqual(await st('batch_set', { pairs: [] }), ok(0));
  assert.deepEqual(await st('len', {}), ok(4));
  assert.deepEqual(await st('delete', { key: 'k2' }), ok(true));
  assert.deepEqual(await st('delete', { key: 'k2' }), ok(false));
  assert.deepEqual(await st('was_deleted', { key: 'k2' }), ok(true));
  assert.deepEqual(await st('was_deleted', { key: 'k1' }), ok(false));
  assert.deepEqual(await st('get_deleted_count', {}), ok(1));
  assert.deepEqual(await st('entries', {}), ok({ k1: 'v1b', k3: 'v3', k4: 'v4' }));

  // Counters (grow-only): counter_dec reports the value without changing it.
  assert.deepEqual(await st('counter_get', { name: 'c' }), ok(0));
  assert.deepEqual(await st('counter_inc', { name: 'c' }), ok(1));
  assert.deepEqual(await st('counter_inc', { name: 'c' }), ok(2));
  assert.deepEqual(await st('counter_dec', { name: 'c' }), ok(2));
  assert.deepEqual(await st('counter_dec', { name: 'fresh' }), ok(0));
  assert.deepEqual(await st('counter_get', { name: 'c' }), ok(2));
  assert.deepEqual(await st('counter_get', { name: 'fresh' }), ok(0));

  // Stats: two counters nested in a map value; stats_get answers the tuple as a JSON array.
  assert.deepEqual(await st('stats_get', { entity: 'e' }), ok([0, 0]));
  assert.deepEqual(await st('stats_inc', { entity: 'e' }), ok(1));
  assert.deepEqual(await st('stats_inc', { entity: 'e' }), ok(2));
  assert.deepEqual(await st('stats_dec', { entity: 'e' }), ok(1));
  assert.deepEqual(await st('stats_get', { entity: 'e' }), ok([2, 1]));
  assert.deepEqual(await st('stats_get', { entity: 'other' }), ok([0, 0]));

  // Bad input panics in the generated wrapper.
  assert.deepEqual(
    await st('counter_inc', { name: 5 }),
    panicked('Failed to deserialize input from JSON: Error("invalid type: integer `5`, expected a string", line: 1, column: 9)', 'apps/sync-test/src/lib.rs:243:12'),
  );
  assert.deepEqual(await st('init', {}), panicked('Cannot initialize over already existing state.', 'apps/sync-test/src/lib.rs:161:12'));
  assert.deepEqual(await st('get_operation_count', {}), ok(ops));
});

test('sync_test: user-owned storage is per executor; another user reads it only through user_get_simple_for', async () => {
  assert.deepEqual(await st('user_get_simple', {}), ok(null));
  assert.deepEqual(await st('user_set_simple', { value: 'mine' }), ok(null));
  assert.deepEqual(await st('user_get_simple', {}), ok('mine'));
  assert.deepEqual(await st('user_get_simple', {}, other), ok(null));
  assert.deepEqual(await st('user_set_simple', { value: 'theirs' }, other), ok(null));
  assert.deepEqual(await st('user_set_simple', { value: 'mine again' }), ok(null));
  assert.deepEqual(await st('user_get_simple_for', { user_key: owner.sync_test }, other), ok('mine again'));
  assert.deepEqual(await st('user_get_simple_for', { user_key: other }), ok('theirs'));
  // A key that is not a member has nothing; a key that is not base58 of 32 bytes fails PublicKey's serde.
  assert.deepEqual(await st('user_get_simple_for', { user_key: encodeId(new Uint8Array(32).fill(1)) }), ok(null));
  assert.deepEqual(
    await st('user_get_simple_for', { user_key: 'nope' }),
    panicked('Failed to deserialize input from JSON: Error("invalid length 4, expected a base58 encoded hash", line: 1, column: 18)', 'apps/sync-test/src/lib.rs:384:12'),
  );

  assert.deepEqual(await st('user_get_kv', { key: 'x' }), ok(null));
  assert.deepEqual(await st('user_set_kv', { key: 'x', value: '1' }), ok(null));
  assert.deepEqual(await st('user_set_kv', { key: 'y', value: '2' }), ok(null));
  assert.deepEqual(await st('user_get_kv', { key: 'x' }), ok('1'));
  assert.deepEqual(await st('user_get_kv', { key: 'x' }, other), ok(null));
  assert.deepEqual(await st('user_delete_kv', { key: 'x' }), ok(true));
  assert.deepEqual(await st('user_delete_kv', { key: 'x' }), ok(false));
  assert.deepEqual(await st('user_delete_kv', { key: 'x' }, other), ok(false));
  assert.deepEqual(await st('user_get_kv', { key: 'x' }), ok(null));
  assert.deepEqual(await st('user_get_kv', { key: 'y' }), ok('2'));

  assert.deepEqual(await st('user_counter_get', {}), ok(0));
  assert.deepEqual(await st('user_counter_inc', {}), ok(1));
  assert.deepEqual(await st('user_counter_inc', {}), ok(2));
  assert.deepEqual(await st('user_counter_inc', {}, other), ok(1));
  assert.deepEqual(await st('user_counter_get', {}), ok(2));
  assert.deepEqual(await st('user_counter_get', {}, other), ok(1));
  assert.deepEqual(await st('get_operation_count', {}), ok(ops));
});

/** The key FrozenStorage gives a String: sha256 of its borsh form (u32 little-endian length, then UTF-8). */
function frozenKey(s: string): string {
  const bytes = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(bytes.length);
  return createHash('sha256').update(Buffer.concat([len, bytes])).digest('hex');
}

test('sync_test: frozen storage, bulk operations, snapshot and verify', async () => {
  const h = frozenKey('immutable blob');
  assert.deepEqual(await st('frozen_add', { data: 'immutable blob' }), ok(h));
  assert.deepEqual(await st('frozen_add', { data: 'immutable blob' }), ok(h), 'adding the same data again is idempotent');
  assert.deepEqual(await st('frozen_get', { hash_hex: h }), ok('immutable blob'));
  assert.deepEqual(await st('frozen_get', { hash_hex: frozenKey('never added') }), ok(null));
  // Not hex: the hex error converted by `?` (its Display, a JSON string); hex of the wrong length: bail! of
  // the Serialize error (tagged JSON).
  assert.deepEqual(await st('frozen_get', { hash_hex: 'zz' }), appErr('Invalid hex: zz'));
  assert.deepEqual(await st('frozen_get', { hash_hex: 'abcd' }), appErr({ kind: 'InvalidHex', data: 'abcd' }));

  assert.deepEqual(await st('bulk_write', { prefix: 'bulk', count: 5, value_size: 3 }), ok(5));
  assert.deepEqual(await st('get', { key: 'bulk_0' }), ok('xxx_0'));
  assert.deepEqual(await st('get', { key: 'bulk_4' }), ok('xxx_4'));
  assert.deepEqual(await st('bulk_delete', { prefix: 'bulk', count: 3 }), ok(3));
  assert.deepEqual(await st('bulk_delete', { prefix: 'bulk', count: 4 }), ok(1));
  assert.deepEqual(await st('was_deleted', { key: 'bulk_3' }), ok(true));
  assert.deepEqual(await st('was_deleted', { key: 'bulk_4' }), ok(false));
  assert.deepEqual(await st('bulk_counter_inc', { name: 'c', count: 10 }), ok(12));
  assert.deepEqual(await st('bulk_counter_inc', { name: 'n', count: 0 }), ok(0));
  assert.deepEqual(await st('get_deleted_count', {}), ok(5));

  const expected = snapshot({ bulk_4: 'xxx_4', k1: 'v1b', k3: 'v3', k4: 'v4' }, { c: 12, n: 0 }, 5, ops);
  assert.deepEqual(await st('snapshot', {}), ok(expected));
  assert.deepEqual(await st('get_operation_count', {}), ok(ops));
  assert.deepEqual(await st('verify', { expected }), ok(true));
  // Mismatches in the order verify checks them; the texts are Rust's Debug of the two BTreeMaps.
  assert.deepEqual(
    await st('verify', { expected: { ...expected, public_kv_count: 9 } }),
    appErr({ kind: 'VerificationFailed', data: { expected: 'public_kv_count=9', actual: 'public_kv_count=4' } }),
  );
  assert.deepEqual(
    await st('verify', { expected: { ...expected, public_kv_entries: { ...expected.public_kv_entries, k1: 'other' } } }),
    appErr({
      kind: 'VerificationFailed',
      data: {
        expected: 'public_kv_entries={"bulk_4": "xxx_4", "k1": "other", "k3": "v3", "k4": "v4"}',
        actual: 'public_kv_entries={"bulk_4": "xxx_4", "k1": "v1b", "k3": "v3", "k4": "v4"}',
      },
    }),
  );
  assert.deepEqual(
    await st('verify', { expected: { ...expected, public_counter_values: { c: 12 } } }),
    appErr({ kind: 'VerificationFailed', data: { expected: 'public_counter_values={"c": 12}', actual: 'public_counter_values={"c": 12, "n": 0}' } }),
  );
  // The fields verify does not compare do not matter; a missing field is a bad input.
  assert.deepEqual(await st('verify', { expected: { ...expected, deleted_keys_count: 0, operation_count: 1 } }), ok(true));
  const { frozen_count: _omitted, ...partial } = expected;
  assert.deepEqual(
    await st('verify', { expected: partial }),
    panicked(`Failed to deserialize input from JSON: Error("missing field \`frozen_count\`", line: 1, column: ${JSON.stringify({ expected: partial }).length - 1})`, 'apps/sync-test/src/lib.rs:445:12'),
  );
});

test('state survives stopping the node and starting it again on the same home', async () => {
  const before = {
    kv: await rpc('kv_store', 'entries', {}),
    snap: await rpc('sync_test', 'snapshot', {}),
  };
  assert.deepEqual(before.kv, ok({ kept: 'across restarts' }));
  assert.equal(await N.stop(), 0);
  await N.restart();
  assert.deepEqual(await rpc('kv_store', 'entries', {}), before.kv);
  assert.deepEqual(await rpc('kv_store', 'get', { key: 'kept' }), ok('across restarts'));
  assert.deepEqual(await rpc('kv_store', 'len', {}), ok(1));
  assert.deepEqual(await rpc('sync_test', 'snapshot', {}), before.snap);
  assert.deepEqual(await st('user_get_simple', {}), ok('mine again'));
  assert.deepEqual(await st('user_get_simple', {}, other), ok('theirs'));
  assert.deepEqual(await st('user_get_kv', { key: 'y' }), ok('2'));
  assert.deepEqual(await st('user_counter_get', {}), ok(2));
  assert.deepEqual(await st('stats_get', { entity: 'e' }), ok([2, 1]));
  assert.deepEqual(await st('frozen_get', { hash_hex: frozenKey('immutable blob') }), ok('immutable blob'));
  // And it keeps working: a write after the restart.
  assert.deepEqual(await rpc('kv_store', 'set', { key: 'kept', value: 'updated' }), ok(null));
  assert.deepEqual(await st('counter_inc', { name: 'c' }), ok(13));
  assert.deepEqual(await st('get_operation_count', {}), ok(ops));
});
