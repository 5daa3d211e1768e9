import { z } from 'zod';
import { decodeId, IdError } from '../util/ids.ts';

/** A 32-byte id as base58 (ContextId, ApplicationId, BlobId, PublicKey, Hash); errors in upstream's words. */
export const id = z.string().superRefine((s, ctx) => {
  try {
    decodeId(s);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: err instanceof IdError ? err.message : 'invalid id' });
  }
});

/** Vec<u8> on the wire: a JSON array of numbers 0..255 (never base64). */
export const bytes = z.array(z.number().int().min(0).max(255));

/** Alias names: at most 50 bytes of UTF-8. */
export const aliasName = z
  .string()
  .min(1)
  .refine((s) => new TextEncoder().encode(s).length <= 50, { message: 'exceeds maximum length of 50 characters' });

/** `{"data": T}` — the wrapper most admin responses use. */
export const data = <T extends z.ZodType>(t: T) => z.object({ data: t });

export const errorBody = z.object({ error: z.string() });
