import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseExecutePayload } from './payload.ts';

// serde's texts for upstream's JSON-RPC payload (docs/wire.md, JSON-RPC), byte for byte.

const CTX = '4vJ9JU1bJJE96FWSJKvHsmmFADCg4gpZQff4P3bkLKi';
const PK = 'C9K5weED8iiEgM6bkU6gZSgGsV6DW2igMtNtL1sjfFKK';
const good = { contextId: CTX, method: 'get', argsJson: { key: 'a' }, executorPublicKey: PK };
const message = (method: unknown, params?: unknown) => {
  const r = parseExecutePayload({ method, params });
  assert.equal(r.ok, false, JSON.stringify(r));
  return (r as { message: string }).message;
};

test('the method tag: missing, mistyped, unknown (only `execute` named); ours accepted', () => {
  assert.equal(message(undefined, good), 'missing field `method`');
  assert.equal(message(5, good), 'invalid type: integer `5`, expected variant identifier');
  assert.equal(message('foo', good), 'unknown variant `foo`, expected `execute`');
  assert.equal(message('execute'), 'missing field `params`');
  for (const [m, mode] of [['execute', 'mutate'], ['mutate', 'mutate'], ['query', 'query']] as const) {
    const r = parseExecutePayload({ method: m, params: good });
    assert.ok(r.ok && r.mode === mode && r.params.method === 'get' && r.params.substitute.length === 0, m);
  }
});

test('params: struct shape, field types in the order given, missing fields in declaration order', () => {
  assert.equal(message('execute', null), 'invalid type: null, expected struct ExecutionRequest');
  assert.equal(message('execute', 'x'), 'invalid type: string "x", expected struct ExecutionRequest');
  assert.equal(message('execute', {}), 'missing field `contextId`');
  assert.equal(message('execute', { contextId: CTX, method: 'get', executorPublicKey: PK }), 'missing field `argsJson`');
  assert.equal(message('execute', { method: 7, contextId: 'bad!' }), 'invalid type: integer `7`, expected a string');
  assert.equal(message('execute', { contextId: 'abc', method: 7 }), 'invalid length 3, expected a base58 encoded hash');
  assert.equal(message('execute', { ...good, executorPublicKey: true }), 'invalid type: boolean `true`, expected a base58 encoded hash');
  assert.equal(message('execute', { ...good, substitute: 'x' }), 'invalid type: string "x", expected a sequence');
  assert.equal(message('execute', { ...good, substitute: [1] }), 'invalid type: integer `1`, expected an alias of at most 50 characters');
  assert.equal(message('execute', { ...good, substitute: ['a'.repeat(51)] }), 'exceeds maximum length of 50 characters');
  assert.equal(message('execute', [CTX, 'get']), 'invalid length 2, expected struct ExecutionRequest with 5 elements');
  const seq = parseExecutePayload({ method: 'execute', params: [CTX, 'get', null, PK] });
  assert.ok(seq.ok && seq.params.argsJson === null);
  // argsJson null is present; unknown keys are ignored.
  assert.ok(parseExecutePayload({ method: 'execute', params: { ...good, argsJson: null, extra: 1 } }).ok);
});

test('validation: empty, over-long (bytes, with the got tail), control characters, too many aliases', () => {
  assert.equal(message('execute', { ...good, method: '' }), "Field 'method' is required but was empty");
  assert.equal(message('execute', { ...good, method: 'é'.repeat(129) }), "Field 'method' exceeds maximum length of 256 characters (got 258)");
  assert.equal(message('execute', { ...good, method: 'a\nb' }), "Field 'method' has invalid format: contains control character '\\n' which is not allowed");
  assert.equal(message('execute', { ...good, method: 'a\u0001' }), "Field 'method' has invalid format: contains control character '\\u{1}' which is not allowed");
  assert.equal(message('execute', { ...good, method: '\u007f' }), "Field 'method' has invalid format: contains control character '\\u{7f}' which is not allowed");
  const many = Array.from({ length: 101 }, (_, i) => `a${i}`);
  assert.equal(message('execute', { ...good, substitute: many }), "Field 'substitute' contains too many items: 101 (max 100)");
  assert.equal(
    message('execute', { ...good, method: '', substitute: many }),
    "Validation errors: Field 'method' is required but was empty; Field 'substitute' contains too many items: 101 (max 100)",
  );
});
