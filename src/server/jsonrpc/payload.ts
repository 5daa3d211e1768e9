import { decodeId, IdError } from '../../util/ids.ts';
import { serdeDescribe } from '../ws/payload.ts';
import type { ExecMode } from '../../node/execution.ts';

/**
 * The JSON-RPC payload (`method` + `params`) decoded as upstream 0.10.0 decodes it, so that a `ParseError`
 * carries serde's text byte for byte (docs/wire.md, JSON-RPC): upstream reads the payload as a
 * `#[serde(tag = "method", content = "params")]` enum whose only variant is `execute`, its params as the
 * camelCase `ExecutionRequest` struct (fields checked in the order they come, then missing ones in declaration
 * order; unknown keys ignored; a JSON array filled positionally), then runs its `Validate` rules.
 *
 * Ours also accepts `query` (read-only, concurrent, never persists) and `mutate` (as `execute`): the seed's
 * names, which upstream does not have. Its unknown-method text names only `execute`, as upstream's.
 */
export const RPC_METHODS: Record<string, ExecMode> = { execute: 'mutate', mutate: 'mutate', query: 'query' };

export interface ExecParams {
  contextId: Uint8Array;
  method: string;
  /** The arguments as given (`null` allowed); serialised by the caller. */
  argsJson: unknown;
  executorPublicKey: Uint8Array;
  substitute: string[];
}

export type PayloadParse = { ok: true; mode: ExecMode; params: ExecParams } | { ok: false; message: string };

const STRUCT = 'struct ExecutionRequest';
/** Declaration order: serde reports the first missing field in this order. */
const FIELDS = ['contextId', 'method', 'argsJson', 'executorPublicKey', 'substitute'] as const;
const MAX_METHOD = 256;
const MAX_SUBSTITUTE = 100;
const MAX_ALIAS = 50;

class Serde extends Error {}
const fail = (message: string): never => {
  throw new Serde(message);
};
const invalidType = (v: unknown, expected: string): never => fail(`invalid type: ${serdeDescribe(v)}, expected ${expected}`);

function hashField(v: unknown): Uint8Array {
  if (typeof v !== 'string') return invalidType(v, 'a base58 encoded hash');
  try {
    return decodeId(v);
  } catch (err) {
    return fail(err instanceof IdError ? err.message : String(err));
  }
}

function substituteField(v: unknown): string[] {
  if (!Array.isArray(v)) return invalidType(v, 'a sequence');
  return v.map((a) => {
    if (typeof a !== 'string') return invalidType(a, `an alias of at most ${MAX_ALIAS} characters`);
    if (Buffer.byteLength(a) > MAX_ALIAS) return fail(`exceeds maximum length of ${MAX_ALIAS} characters`);
    return a;
  });
}

/** One field's value, as serde reads it when the field comes. */
function readField(name: (typeof FIELDS)[number], v: unknown): unknown {
  switch (name) {
    case 'contextId':
    case 'executorPublicKey':
      return hashField(v);
    case 'method':
      return typeof v === 'string' ? v : invalidType(v, 'a string');
    case 'argsJson':
      return v;
    case 'substitute':
      return substituteField(v);
  }
}

function readParams(params: unknown): ExecParams {
  if (params === null || typeof params !== 'object') return invalidType(params, STRUCT);
  let entries: Array<[string, unknown]>;
  if (Array.isArray(params)) {
    // serde's derived struct visitor also takes a sequence, field by field; `substitute` may be left out.
    if (params.length < 4) return fail(`invalid length ${params.length}, expected ${STRUCT} with 5 elements`);
    if (params.length > 5) return fail(`invalid length ${params.length}, expected fewer elements in array`);
    entries = params.map((v, i) => [FIELDS[i]!, v]);
  } else {
    entries = Object.entries(params);
  }
  const got: Partial<Record<(typeof FIELDS)[number], unknown>> = {};
  for (const [k, v] of entries) {
    if ((FIELDS as readonly string[]).includes(k)) got[k as (typeof FIELDS)[number]] = readField(k as (typeof FIELDS)[number], v);
  }
  for (const f of FIELDS) if (f !== 'substitute' && !(f in got)) fail(`missing field \`${f}\``);
  return {
    contextId: got.contextId as Uint8Array,
    method: got.method as string,
    argsJson: got.argsJson,
    executorPublicKey: got.executorPublicKey as Uint8Array,
    substitute: (got.substitute as string[] | undefined) ?? [],
  };
}

/** Rust's `char::escape_default` for an ASCII control character. */
function escapeDefault(c: string): string {
  const special: Record<string, string> = { '\t': '\\t', '\r': '\\r', '\n': '\\n' };
  return special[c] ?? `\\u{${c.charCodeAt(0).toString(16)}}`;
}

/** upstream `ExecutionRequest::validate` (the args size rule is unreachable under the 2 MiB body limit). */
function validate(p: ExecParams): string[] {
  const errors: string[] = [];
  const len = Buffer.byteLength(p.method);
  // eslint-disable-next-line no-control-regex
  const control = /[\u0000-\u001f\u007f]/.exec(p.method);
  if (len === 0) errors.push("Field 'method' is required but was empty");
  else if (len > MAX_METHOD) errors.push(`Field 'method' exceeds maximum length of ${MAX_METHOD} characters (got ${len})`);
  else if (control) errors.push(`Field 'method' has invalid format: contains control character '${escapeDefault(control[0])}' which is not allowed`);
  if (p.substitute.length > MAX_SUBSTITUTE) errors.push(`Field 'substitute' contains too many items: ${p.substitute.length} (max ${MAX_SUBSTITUTE})`);
  return errors;
}

/** Decodes `{method, params}` of a JSON-RPC request whose envelope (`jsonrpc`, `id`) was valid. */
export function parseExecutePayload(body: { method?: unknown; params?: unknown }): PayloadParse {
  try {
    const m = body.method;
    if (m === undefined) fail('missing field `method`');
    if (typeof m !== 'string') return invalidType(m, 'variant identifier');
    const mode = RPC_METHODS[m];
    if (!mode) fail(`unknown variant \`${m}\`, expected \`execute\``);
    if (body.params === undefined) fail('missing field `params`');
    const params = readParams(body.params);
    const errors = validate(params);
    if (errors.length === 1) return { ok: false, message: errors[0]! };
    if (errors.length > 1) return { ok: false, message: `Validation errors: ${errors.join('; ')}` };
    return { ok: true, mode: mode!, params };
  } catch (err) {
    if (err instanceof Serde) return { ok: false, message: err.message };
    throw err;
  }
}
