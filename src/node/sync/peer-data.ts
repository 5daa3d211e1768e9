/**
 * Schemas for the JSON that arrives from peers inside binary messages: the events a state entry carries and the
 * config records of a snapshot. Validated before use, like client input; whatever fails is refused.
 */
import { z } from 'zod';
import type { ExecutionEvent } from '../events.ts';

/** A handler name is called like a client's method name: at most 256 characters, no control characters. */
const handlerName = z
  .string()
  .max(256)
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s));

const peerEvent = z.object({
  kind: z.string(),
  data: z.array(z.number().int().min(0).max(255)),
  handler: handlerName.nullish().transform((h) => h ?? null),
});

/** The events of a state entry (JSON). */
export const peerEvents = z.array(peerEvent).max(10_000);

const hexId = z.string().regex(/^[0-9a-f]{64}$/);
/** A membership set record: entry ids (hex). */
export const peerMembershipSet = z.array(hexId).max(1_000_000);

const appRecord = z.strictObject({
  bytecode: z.string(),
  size: z.number().int().nonnegative(),
  source: z.string(),
  metadata: z.array(z.number().int().min(0).max(255)),
  package: z.string(),
  version: z.string(),
});
/** The membership record of a snapshot. */
export const peerMembership = z.strictObject({
  creator: z.string(),
  applicationId: z.string(),
  app: appRecord,
  members: z.record(z.string(), z.array(z.number().int().min(0).max(255))),
});

/** Parses JSON bytes with a schema; null when either fails. */
export function parsePeerJson<T>(schema: z.ZodType<T>, bytes: Uint8Array): T | null {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return null;
  }
  const r = schema.safeParse(v);
  return r.success ? r.data : null;
}

/** The events of an entry: [] when it carries none, null when they are invalid. */
export function entryEvents(bytes: Uint8Array | null): ExecutionEvent[] | null {
  if (!bytes) return [];
  return parsePeerJson(peerEvents, bytes);
}
