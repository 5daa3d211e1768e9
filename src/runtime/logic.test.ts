import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_LIMITS } from './limits.ts';
import { hostFunctions, idleCallContext, UNSUPPORTED_IMPORTS, VMLogic } from './logic.ts';

/** The `env` imports of upstream's ABI at 0.10.0 that this node implements (the rest trap as unsupported). */
const IMPLEMENTED = [
  // system
  'panic', 'panic_utf8', 'register_len', 'read_register', 'context_id', 'executor_id', 'input', 'value_return',
  'log_utf8', 'js_std_d_print', 'emit', 'emit_with_handler', 'xcall', 'commit',
  // storage
  'storage_read', 'storage_remove', 'storage_write', 'private_storage_read', 'private_storage_remove', 'private_storage_write',
  // blobs
  'blob_create', 'blob_write', 'blob_close', 'blob_open', 'blob_read', 'blob_announce_to_context',
  // context
  'context_create', 'context_delete', 'context_add_member', 'context_remove_member', 'context_is_member', 'context_members',
  'context_resolve_alias',
  // governance
  'send_proposal', 'approve_proposal',
  // utility
  'fetch', 'random_bytes', 'time_now', 'ed25519_verify',
];

test('the areas together define the whole env ABI, each name exactly once', () => {
  const names = hostFunctions(idleCallContext()).flatMap((area) => Object.keys(area));
  const twice = names.filter((n, i) => names.indexOf(n) !== i);
  assert.deepEqual(twice, [], 'an import defined by two areas');
  assert.deepEqual([...names].sort(), [...IMPLEMENTED, ...UNSUPPORTED_IMPORTS].sort());
});

test('VMLogic: a host function that reads guest memory before the instance exists ends the call as a host panic', () => {
  const logic = new VMLogic();
  logic.begin({ input: new Uint8Array(0), contextId: new Uint8Array(32), executorId: new Uint8Array(32), limits: DEFAULT_LIMITS, host: { storageRead: () => null } });
  const env = logic.env;
  assert.throws(() => (env['log_utf8'] as (p: bigint) => void)(0n), /host panicked: VM Memory not initialized/);
});

test('VMLogic: a failed call keeps its logs but drops every change', () => {
  const logic = new VMLogic();
  logic.begin({ input: new Uint8Array(0), contextId: new Uint8Array(32), executorId: new Uint8Array(32), limits: DEFAULT_LIMITS, host: { storageRead: () => null } });
  const memory = new WebAssembly.Memory({ initial: 1 });
  logic.attachMemory(memory);
  const bytes = new Uint8Array(memory.buffer);
  const view = new DataView(memory.buffer);
  // Buffer descriptor at 0 → "k" at 64; descriptor at 16 → "v" at 65; descriptor at 32 → "hi" at 66.
  bytes.set([0x6b, 0x76, 0x68, 0x69], 64);
  view.setBigUint64(0, 64n, true);
  view.setBigUint64(8, 1n, true);
  view.setBigUint64(16, 65n, true);
  view.setBigUint64(24, 1n, true);
  view.setBigUint64(32, 66n, true);
  view.setBigUint64(40, 2n, true);
  const env = logic.env;
  const fn = (name: string) => env[name] as (...args: bigint[]) => unknown;
  assert.equal(fn('storage_write')(0n, 16n, 1n), 0);
  fn('log_utf8')(32n);
  const ok = logic.finish(null);
  assert.deepEqual([...ok.writes.values()], [{ key: Uint8Array.of(0x6b), value: Uint8Array.of(0x76) }]);
  assert.equal(ok.memoryPages, 1);
  const failed = logic.finish({ type: 'Trap', variant: 'Unreachable', message: 'unreachable code reached' });
  assert.equal(failed.writes.size, 0);
  assert.deepEqual(failed.logs, ['hi']);
  assert.equal(failed.memoryPages, 1);
});
