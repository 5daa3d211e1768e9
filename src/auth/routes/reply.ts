import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { AuthErrorCode } from '../../wire/auth.ts';

/** Upstream `sanitize_string`: keeps printable ASCII only. */
export function sanitizeString(s: string): string {
  return [...s].filter((c) => c >= ' ' && c <= '~').join('');
}

/** Upstream `sanitize_identifier` (restricted to ASCII so ids are always valid header/key text). */
export function sanitizeIdentifier(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]/g, '');
}

export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#x27;');
}

/** Header values must be visible ASCII; anything else is percent-encoded. */
export function headerSafe(v: string): string {
  return /^[\x20-\x7e]*$/.test(v) ? v : encodeURI(v);
}

export function sha256Hex(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** mero-auth's success envelope: `{"data": …, "error": null}`. */
export function ok(reply: FastifyReply, data: unknown): FastifyReply {
  return reply.code(200).send({ data, error: null });
}

/** mero-auth's failure envelope: `{"data": null, "error": message}`, with `X-Auth-Error` when given. */
export function fail(reply: FastifyReply, status: number, message: string, authError?: AuthErrorCode): FastifyReply {
  if (authError) reply.header('x-auth-error', authError);
  return reply.code(status).send({ data: null, error: message });
}

/** Success with a fresh token pair (`/auth/token`, `/auth/refresh`, `/auth/mock-token`, `/admin/client-key`). */
export function tokenPair(reply: FastifyReply, pair: { accessToken: string; refreshToken: string }): FastifyReply {
  return ok(reply, { access_token: pair.accessToken, refresh_token: pair.refreshToken, error: null });
}

export const MISSING_JSON = 'Invalid JSON: Expected request with `Content-Type: application/json`';

/**
 * Validates a JSON body with a zod schema. Shape/type errors are 400 (`Invalid JSON: …`, like axum's
 * `Json` rejection), empty required strings are 422 (`Validation error: …`, like upstream's validator).
 * Both carry the `{"data":null,"error":…}` envelope. Returns undefined after replying.
 */
export function parseBody<S extends z.ZodType>(schema: S, req: FastifyRequest, reply: FastifyReply): z.output<S> | undefined {
  if (req.body === undefined || req.body === null) {
    fail(reply, 400, MISSING_JSON);
    return undefined;
  }
  const r = schema.safeParse(req.body);
  if (r.success) return r.data;
  const issues = r.error.issues;
  const describe = (i: (typeof issues)[number]) => `${i.path.length ? i.path.join('.') + ': ' : ''}${i.message}`;
  if (issues.every((i) => i.code === 'too_small' && i.origin === 'string')) {
    reply.code(422).send({ data: null, error: `Validation error: ${issues.map(describe).join(', ')}`, status: 422 });
  } else {
    reply.code(400).send({
      data: null,
      error: `Invalid JSON: Failed to deserialize the JSON body into the target type: ${issues.map(describe).join('; ')}`,
      status: 400,
    });
  }
  return undefined;
}
