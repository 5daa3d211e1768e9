import type { z } from 'zod';

/**
 * The subscribe/unsubscribe payload shared by WebSocket frames (docs/events.md, WebSocket) and `POST /sse/subscription`
 * (docs/events.md, SSE): upstream's `#[serde(tag = "method", content = "params", rename_all = "snake_case")]` enum whose
 * params are `{"contextIds":[…]}`. Validation uses the zod schemas of `src/wire/events.ts`; failures are
 * reported with serde's wording, which is what upstream puts in `{"type":"ParseError","data":"…"}`.
 */
export interface SubscriptionPayload {
  method: 'subscribe' | 'unsubscribe';
  contextIds: string[];
}

export type PayloadResult = { ok: true; value: SubscriptionPayload } | { ok: false; message: string };

/** serde's description of an unexpected JSON value (`invalid type: <this>, expected …`). */
export function serdeDescribe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return `string ${JSON.stringify(v)}`;
  if (typeof v === 'boolean') return `boolean \`${v}\``;
  if (typeof v === 'number') return Number.isInteger(v) ? `integer \`${v}\`` : `floating point \`${v}\``;
  if (Array.isArray(v)) return 'sequence';
  return 'map';
}

function at(root: unknown, path: PropertyKey[]): unknown {
  let v = root;
  for (const k of path) v = v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

/**
 * Validates `{method, params:{contextIds}}` (other keys of `frame` are ignored, as serde ignores unknown
 * fields of an adjacently tagged enum). `paramsType` names the Rust params struct for the
 * "expected struct X" message (`SubscribeRequest`/`UnsubscribeRequest` on WS, `ContextIds` on SSE).
 */
export function parseSubscriptionPayload(
  frame: Record<string, unknown>,
  schema: z.ZodType<{ method: 'subscribe' | 'unsubscribe'; params: { contextIds: string[] } }>,
  paramsType: (method: 'subscribe' | 'unsubscribe') => string,
): PayloadResult {
  const method = frame.method;
  // serde reads the tag first: a missing, mistyped or unknown method is the error whatever params hold.
  if (method === undefined) return { ok: false, message: 'missing field `method`' };
  if (typeof method !== 'string') return { ok: false, message: `invalid type: ${serdeDescribe(method)}, expected variant identifier` };
  if (method !== 'subscribe' && method !== 'unsubscribe') {
    return { ok: false, message: `unknown variant \`${method}\`, expected \`subscribe\` or \`unsubscribe\`` };
  }
  const parsed = schema.safeParse({ method, params: frame.params });
  if (parsed.success) return { ok: true, value: { method, contextIds: parsed.data.params.contextIds } };
  const issue = parsed.error.issues[0]!;
  const path = issue.path;
  const value = at({ method, params: frame.params }, path);
  const field = path.at(-1);
  if (value === undefined && typeof field === 'string') return { ok: false, message: `missing field \`${field}\`` };
  if (path.length === 1) return { ok: false, message: `invalid type: ${serdeDescribe(value)}, expected struct ${paramsType(method)}` };
  if (path.length === 2) return { ok: false, message: `invalid type: ${serdeDescribe(value)}, expected a sequence` };
  // An element of contextIds: the id decoder's own text (bs58 / length errors, docs/wire.md, Ids).
  if (typeof value !== 'string') return { ok: false, message: `invalid type: ${serdeDescribe(value)}, expected a base58 encoded hash` };
  return { ok: false, message: issue.message };
}
