import type { Readable } from 'node:stream';
import type { z } from 'zod';
import { HttpError, jsonError, textError, validationMessage } from './errors.ts';
import type { BodyErrors } from '../http/route.ts';

export type { BodyErrors, Method, RouteDef } from '../http/route.ts';
export type { Guard } from './auth/principal.ts';

/** Reads a request stream into memory, refusing more than `limit` bytes with 413. */
export function readBody(stream: Readable | undefined, limit: number, errors: BodyErrors): Promise<Buffer> {
  if (!stream) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      cleanup();
      // Discard the rest (bounded) so the client reads our 413 instead of a reset connection.
      discard(stream, 64 * 1024 * 1024);
      reject(
        errors === 'validated'
          ? jsonError(400, 'Failed to read request body: length limit exceeded')
          : new HttpError(413, 'Failed to buffer the request body: length limit exceeded', 'text'),
      );
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(new HttpError(400, `Failed to read request body: ${err.message}`, 'text'));
    };
    const cleanup = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
  });
}

function discard(stream: Readable, max: number): void {
  let seen = 0;
  stream.on('data', (c: Buffer) => {
    seen += c.length;
    if (seen > max) stream.destroy();
  });
  stream.resume();
}

const TYPE_CODES = new Set(['invalid_type', 'invalid_union', 'unrecognized_keys', 'invalid_value', 'custom']);

const MISSING_CT = 'Expected request with `Content-Type: application/json`';

function isJsonContentType(ct: string | undefined): boolean {
  if (!ct) return false;
  if (ct === 'application/json') return true;
  const mime = ct.split(';')[0]!.trim().toLowerCase();
  return mime === 'application/json' || (mime.startsWith('application/') && mime.endsWith('+json'));
}

/** Parses and validates a JSON body with upstream's error texts and statuses. */
export function parseJsonBody<S extends z.ZodType>(
  raw: Buffer,
  contentType: string | undefined,
  spec: { schema: S; errors: Exclude<BodyErrors, 'auth'> },
): z.infer<S> {
  const validated = spec.errors === 'validated';
  if (!isJsonContentType(contentType)) {
    throw validated ? jsonError(400, MISSING_CT) : new HttpError(415, MISSING_CT, 'text');
  }
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    const text = `Failed to parse the request body as JSON: ${(err as Error).message}`;
    throw validated ? jsonError(400, `JSON syntax error: ${text}`) : textError(400, text);
  }
  const result = spec.schema.safeParse(value);
  if (!result.success) {
    const issues = result.error.issues;
    // Type errors are serde deserialisation failures upstream; the rest are `validate()` failures.
    const typeIssues = issues.filter((i) => TYPE_CODES.has(i.code));
    if (typeIssues.length > 0) {
      const text = `Failed to deserialize the JSON body into the target type: ${validationMessage(typeIssues)}`;
      throw validated ? jsonError(400, `Invalid JSON data: ${text}`) : new HttpError(422, text, 'text');
    }
    const msg = validationMessage(issues);
    throw validated ? jsonError(400, msg) : new HttpError(422, msg, 'text');
  }
  return result.data;
}
