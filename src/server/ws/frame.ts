import { wsRequest } from '../../wire/events.ts';
import { parseSubscriptionPayload, type SubscriptionPayload } from './payload.ts';

/**
 * Parsing of one WebSocket text frame (docs/events.md, WebSocket). Upstream first reads the envelope
 * `Request<Value> { id: Option<u64>, #[serde(flatten)] payload }`; a frame that fails there (bad JSON, not an
 * object, an `id` that is not a u64) is dropped without an answer. Only then is the payload decoded, and a
 * failure there is answered with a ParseError carrying the request id.
 */
export type Frame =
  | { kind: 'drop' }
  /** `id` is the JSON text to echo: `null` or the exact digits the client sent (u64 may exceed 2^53). */
  | { kind: 'request'; id: string; payload: SubscriptionPayload }
  | { kind: 'invalid'; id: string; message: string };

const U64_MAX = 0xffff_ffff_ffff_ffffn;
const payloadSchema = wsRequest.omit({ id: true });
const paramsType = (m: 'subscribe' | 'unsubscribe') => (m === 'subscribe' ? 'SubscribeRequest' : 'UnsubscribeRequest');

export function parseFrame(text: string): Frame {
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch {
    return { kind: 'drop' };
  }
  if (frame === null || typeof frame !== 'object' || Array.isArray(frame)) return { kind: 'drop' };
  const obj = frame as Record<string, unknown>;
  let id = 'null';
  if (obj.id !== undefined && obj.id !== null) {
    if (typeof obj.id !== 'number') return { kind: 'drop' };
    // JSON.parse rounds integers above 2^53 and turns 1.0 into 1; the raw token decides (serde's u64 rejects
    // floats, negatives and values above u64::MAX).
    const raw = topLevelNumber(text, 'id');
    if (raw === null || !/^\d+$/.test(raw) || BigInt(raw) > U64_MAX) return { kind: 'drop' };
    id = raw;
  }
  const parsed = parseSubscriptionPayload(obj, payloadSchema, paramsType);
  return parsed.ok ? { kind: 'request', id, payload: parsed.value } : { kind: 'invalid', id, message: parsed.message };
}

/**
 * The raw text of the number value of `key` in the top-level object of the (valid) JSON `text`; null when
 * the key is not found as a plain number (the last occurrence wins, as with JSON.parse).
 */
export function topLevelNumber(text: string, key: string): string | null {
  let i = 0;
  let found: string | null = null;
  const ws = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  };
  const skipString = () => {
    // at the opening quote
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
  };
  const skipValue = () => {
    ws();
    if (text[i] === '"') return skipString();
    if (text[i] === '{' || text[i] === '[') {
      let depth = 0;
      do {
        const c = text[i];
        if (c === '"') {
          skipString();
          continue;
        }
        if (c === '{' || c === '[') depth++;
        else if (c === '}' || c === ']') depth--;
        i++;
      } while (depth > 0 && i < text.length);
      return;
    }
    while (i < text.length && !',}] \n\r\t'.includes(text[i]!)) i++;
  };
  ws();
  if (text[i] !== '{') return null;
  i++;
  for (;;) {
    ws();
    if (text[i] !== '"') return found;
    const start = i;
    skipString();
    let name: string;
    try {
      name = JSON.parse(text.slice(start, i)) as string;
    } catch {
      return found;
    }
    ws();
    i++; // ':'
    ws();
    const valueStart = i;
    skipValue();
    if (name === key) {
      const token = text.slice(valueStart, i);
      found = /^-?\d/.test(token) ? token : null;
    }
    ws();
    if (text[i] === ',') i++;
    else return found;
  }
}
