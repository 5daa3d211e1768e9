import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { buildApps, outDir } from '../apps/build.ts';
import { Runtime, blobIdOf, DEFAULT_LIMITS, UNSUPPORTED_IMPORTS, type Outcome, type RuntimeHost, type VMLimits } from '../src/runtime/index.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const CONTEXT = new Uint8Array(32).fill(0xc1);
const EXECUTOR = new Uint8Array(32).fill(0xe5);

let runtime: Runtime;
before(async () => {
  await buildApps();
  runtime = new Runtime({ workers: 2, timeoutMs: 5_000 });
});
after(() => runtime.close());

function call(
  app: string,
  method: string,
  input: Uint8Array | string = '',
  host: RuntimeHost = { storageRead: async () => null },
  limits?: Partial<VMLimits>,
): Promise<Outcome> {
  return runtime.call({
    moduleId: app,
    wasm: () => readFile(join(outDir, `${app}.wasm`)),
    method,
    input: typeof input === 'string' ? enc(input) : input,
    contextId: CONTEXT,
    executorId: EXECUTOR,
    host,
    limits,
  });
}

function okBytes(o: Outcome): Uint8Array {
  assert.equal(o.error, null, o.error?.message);
  assert.ok(o.returns && 'ok' in o.returns, 'expected an ok return');
  return (o.returns as { ok: Uint8Array }).ok;
}

test('defaults equal upstream VMLimits::default', () => {
  assert.equal(DEFAULT_LIMITS.maxMemoryPages, 1024);
  assert.equal(DEFAULT_LIMITS.maxRegisters, 100);
  assert.equal(DEFAULT_LIMITS.maxRegisterSize, 100 << 20);
  assert.equal(DEFAULT_LIMITS.maxLogs, 100);
  assert.equal(DEFAULT_LIMITS.maxLogSize, 16 << 10);
  assert.equal(DEFAULT_LIMITS.maxEvents, 100);
  assert.equal(DEFAULT_LIMITS.maxEventKindSize, 100);
  assert.equal(DEFAULT_LIMITS.maxEventDataSize, 16 << 10);
  assert.equal(DEFAULT_LIMITS.maxStorageKeySize, 1 << 20);
  assert.equal(DEFAULT_LIMITS.maxStorageValueSize, 10 << 20);
  assert.equal(DEFAULT_LIMITS.maxMethodNameSize, 256);
  assert.equal(DEFAULT_LIMITS.maxModuleSize, 10 << 20);
});

test('registers, input, value_return ok/err, context and executor ids', async () => {
  assert.equal(dec(okBytes(await call('abi', 'echo', 'hello'))), 'hello');
  const err = await call('abi', 'echo_err', 'bad');
  assert.equal(err.error, null);
  assert.deepEqual(err.returns, { err: enc('bad') });
  const ids = okBytes(await call('abi', 'ids'));
  assert.deepEqual(ids.subarray(0, 32), CONTEXT);
  assert.deepEqual(ids.subarray(32), EXECUTOR);
  assert.equal(dec(okBytes(await call('abi', 'register_missing'))), 'absent', 'register_len of an empty register is u64::MAX');
  const badReg = await call('abi', 'bad_register');
  assert.equal(badReg.error?.type, 'HostError');
  assert.equal(badReg.error?.message, 'invalid register id: 99');
  const tooFew = await call('abi', 'echo', 'x', undefined, { maxRegisters: 0 });
  assert.equal(tooFew.error?.type, 'HostLimit');
  assert.equal(tooFew.error?.message, 'invalid memory access');
});

test('storage: write returns the evicted value, remove the removed one, reads see own writes and the host', async () => {
  const committed = new Map([['6b', enc('old')]]); // key "k"
  const reads: string[] = [];
  const host: RuntimeHost = {
    storageRead: async (k) => {
      reads.push(Buffer.from(k).toString('hex'));
      return committed.get(Buffer.from(k).toString('hex')) ?? null;
    },
  };
  const store = await call('abi', 'store', 'new', host);
  assert.equal(dec(okBytes(store)), 'old');
  assert.deepEqual([...store.writes.values()], [{ key: enc('k'), value: enc('new') }]);
  assert.deepEqual(reads, ['6b'], 'storage is read on demand, not preloaded');
  assert.equal(dec(okBytes(await call('abi', 'store', 'new', { storageRead: async () => null }))), 'none');
  assert.equal(dec(okBytes(await call('abi', 'load', '', host))), 'old');
  const del = await call('abi', 'del', '', host);
  assert.equal(dec(okBytes(del)), 'old');
  assert.deepEqual([...del.writes.values()], [{ key: enc('k'), value: null }]);
  assert.equal(dec(okBytes(await call('abi', 'del'))), 'none');
  const wr = await call('abi', 'write_read');
  assert.equal(dec(okBytes(wr)), '1');

  const failing = await call('abi', 'load', '', { storageRead: async () => Promise.reject(new Error('disk on fire')) });
  assert.equal(failing.error?.type, 'Internal');
  assert.match(failing.error!.message, /disk on fire/);

  const priv = await call('abi', 'private', 'secret', { storageRead: async () => null, privateStorageRead: async () => null });
  assert.equal(dec(okBytes(priv)), 'secret');
  assert.deepEqual([...priv.privateWrites.values()], [{ key: enc('k'), value: enc('secret') }]);
  assert.equal(priv.writes.size, 0);
  assert.equal(dec(okBytes(await call('abi', 'private', 'secret'))), 'none', 'without private storage the host answers 0');
});

test('logs, events with and without handler, commit, xcall, proposals', async () => {
  const o = await call('abi', 'log_emit');
  assert.equal(o.error, null);
  assert.deepEqual(o.logs, ['hello', 'from d_print']);
  assert.deepEqual(
    o.events.map((e) => [e.kind, dec(e.data), e.handler]),
    [
      ['Ping', '{}', null],
      ['Pong', '1', 'on_pong'],
    ],
  );
  const limited = await call('abi', 'log_emit', '', undefined, { maxLogs: 1 });
  assert.equal(limited.error?.message, 'logs overflow');
  const kind = await call('abi', 'log_emit', '', undefined, { maxEventKindSize: 3 });
  assert.equal(kind.error?.message, 'event kind size overflow');

  const c = await call('abi', 'commit_root');
  assert.deepEqual(c.rootHash, new Uint8Array(32).fill(0x11));
  assert.deepEqual(c.artifact, enc('art'));
  const twice = await call('abi', 'commit_twice');
  assert.equal(twice.error?.message, 'invalid memory access');
  assert.equal(twice.rootHash, null);

  const x = await call('abi', 'xcall_it');
  assert.deepEqual(x.xcalls, [{ contextId: new Uint8Array(32).fill(0x22), function: 'ping', params: enc('{}') }]);
  const p = await call('abi', 'proposal');
  const id = okBytes(p);
  assert.equal(p.proposals.length, 1);
  assert.deepEqual(p.proposals[0]!.id, id);
  assert.deepEqual(p.proposals[0]!.actions, enc('art'));
});

test('panics carry message and location; traps and host errors use upstream texts', async () => {
  const loc = await call('abi', 'panic_loc');
  assert.equal(loc.error?.message, 'guest panicked: explicit panic at abi.wat:7:3');
  assert.deepEqual(loc.error?.panic, { context: 'guest', message: 'explicit panic', location: { file: 'abi.wat', line: 7, column: 3 } });
  assert.equal((await call('abi', 'panic_msg')).error?.message, 'guest panicked: boom at abi.wat:7:3');
  assert.equal((await call('abi', 'bad_utf8_log')).error?.message, 'invalid UTF-8 string');
  assert.equal((await call('abi', 'oob')).error?.message, 'invalid memory access');
  const div = await call('abi', 'trap_div');
  assert.equal(div.error?.type, 'Trap');
  assert.equal(div.error?.message, 'illegal arithmetic operation');
});

test('method resolution and module errors', async () => {
  assert.equal((await call('abi', 'with_args')).error?.message, 'method "with_args" has invalid signature: expected no arguments and no return value');
  assert.equal((await call('abi', 'returns_value')).error?.type, 'InvalidMethod');
  assert.equal((await call('abi', '')).error?.message, 'method name is empty');
  assert.equal((await call('abi', 'bad-name')).error?.message, "method name contains invalid character at position 3: '-'");
  assert.equal((await call('abi', 'x'.repeat(300))).error?.message, 'method name too long: 300 bytes (max: 256)');
  assert.equal((await call('abi', 'memory')).error?.message, 'method "memory" not found');
  assert.equal((await call('no-memory', 'run')).error?.message, 'method "memory" not found');
  const link = await call('unknown-import', 'run');
  assert.equal(link.error?.type, 'LinkError');
  assert.match(link.error!.message, /^link error: .*no_such_host_function/);
  const big = await call('big-memory', 'run');
  assert.equal(big.error?.type, 'MemoryLimit');
  const small = await call('abi', 'echo', 'x', undefined, { maxModuleSize: 100 });
  assert.equal(small.error?.type, 'ModuleTooLarge');
  assert.match(small.error!.message, /^module size limit \(max_module_size\) exceeded: \d+ bytes > 100 bytes limit$/);
  const garbage = await runtime.call({
    moduleId: 'garbage',
    wasm: async () => enc('not wasm at all'),
    method: 'run',
    input: new Uint8Array(0),
    contextId: CONTEXT,
    executorId: EXECUTOR,
    host: { storageRead: async () => null },
  });
  assert.equal(garbage.error?.type, 'InvalidModule');
  assert.match(garbage.error!.message, /^compilation error: /);
});

test('imports we cannot honour trap with a named error', async () => {
  const o = await call('abi', 'unsupported');
  assert.equal(o.error?.type, 'UnsupportedHostFunction');
  assert.equal(o.error?.message, 'host function "js_crdt_map_new" is not supported by this node');
  assert.ok(UNSUPPORTED_IMPORTS.includes('flush_delta'), 'flush_delta is listed as unsupported');
  assert.equal(dec(okBytes(await call('abi', 'fetch_it'))), "Host function 'fetch' is temporarily disabled.");
});

test('time_now, random_bytes, ed25519_verify', async () => {
  const t = new DataView(okBytes(await call('abi', 'time')).buffer).getBigUint64(0, true);
  const now = BigInt(Date.now()) * 1_000_000n;
  assert.ok(t > now - 5_000_000_000n && t <= now + 5_000_000_000n, 'nanoseconds since the epoch');
  const r1 = okBytes(await call('abi', 'rand'));
  const r2 = okBytes(await call('abi', 'rand'));
  assert.equal(r1.length, 32);
  assert.notDeepEqual(r1, r2);

  const sk = ed25519.utils.randomSecretKey();
  const pk = ed25519.getPublicKey(sk);
  const msg = enc('signed message');
  const sig = ed25519.sign(msg, sk);
  const input = (s: Uint8Array, m: Uint8Array) => Buffer.concat([s, pk, m]);
  assert.deepEqual(okBytes(await call('abi', 'verify', input(sig, msg))), Uint8Array.of(1));
  assert.deepEqual(okBytes(await call('abi', 'verify', input(sig, enc('tampered message')))), Uint8Array.of(0));
  const badKey = await call('abi', 'verify', Buffer.concat([sig, new Uint8Array(32).fill(0xff), msg]));
  assert.equal(badKey.error?.message, 'incorrect ed25519 public key');
});

test('blobs: create, write, close, reopen and read back; members', async () => {
  const noBlobs = await call('abi', 'blob_roundtrip');
  assert.equal(noBlobs.error?.message, 'blob operations not supported (NodeClient not available)');
  const o = await call('abi', 'blob_roundtrip', '', { storageRead: async () => null, blobRead: async () => null });
  const out = okBytes(o);
  const id = blobIdOf(enc('blobdata'));
  assert.deepEqual(out.subarray(0, 32), id);
  assert.equal(dec(out.subarray(32)), 'blobdata');
  assert.deepEqual(o.blobs, [{ id, data: enc('blobdata') }]);

  const a = new Uint8Array(32).fill(1);
  const b = new Uint8Array(32).fill(2);
  const members = okBytes(await call('abi', 'members', '', { storageRead: async () => null, contextMembers: async () => [a, b] }));
  assert.equal(new DataView(members.buffer, members.byteOffset).getUint32(0, true), 2, 'borsh Vec length');
  assert.deepEqual(members.subarray(4), new Uint8Array(Buffer.concat([a, b])));
});

test('context_create records a child context request; an alias the calling context has is refused', async () => {
  const asked = await call('abi', 'create_child', '', { storageRead: async () => null, aliasTaken: async () => false });
  assert.equal(asked.error, null, asked.error?.message);
  assert.deepEqual(asked.contextMutations, [
    { kind: 'CreateContext', protocol: 'near', applicationId: new Uint8Array(32).fill(0x11), initArgs: enc('{}'), alias: 'kid' },
  ]);
  const taken = await call('abi', 'create_child', '', { storageRead: async () => null, aliasTaken: async (alias) => alias === 'kid' });
  assert.equal(taken.error?.message, 'alias already exists: kid');
  assert.deepEqual(taken.contextMutations, []);
});
