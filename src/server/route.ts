import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import type { z } from 'zod';
import { HttpError, jsonError, textError, validationMessage } from './errors.ts';
import type { Node } from '../node/node.ts';
import type { Permission } from '../auth/index.ts';
import type { Principal } from './auth/principal.ts';
import type { ServerAuth } from './server.ts';

export type { Guard } from './auth/principal.ts';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD';

/**
 * How a route reports a bad body, mirroring the two upstream extractors (server-api §0.4):
 * - 'validated' (ValidatedJson): always 400 with {"error":"…"};
 * - 'plain' (axum Json): 415 / 400 / 422 / 413 with a text/plain body.
 */
export type BodyErrors = 'validated' | 'plain';

export interface HandlerContext<B> {
  node: Node;
  req: FastifyRequest;
  reply: FastifyReply;
  body: B;
  params: Record<string, string>;
  query: Record<string, string | undefined>;
  /**
   * The caller, on protected and optional routes where auth is enforced; undefined when the node enforces none
   * (proxy mode without an auth URL). On an optional route without a credential: permissions [].
   */
  principal: Principal | undefined;
  /** The server's auth state (stream tracking, the administrator check). */
  auth: ServerAuth;
}

export interface RouteDef<S extends z.ZodType = z.ZodType> {
  method: Method | Method[];
  url: string;
  /**
   * Protected routes need a valid credential when auth is enforced (embedded mode, or proxy mode with
   * validation); optional routes check a credential only when the request brings one (a bad one is 401).
   */
  access: 'public' | 'protected' | 'optional';
  /**
   * What the caller must hold on a protected route, in mero-auth's permission names (upstream's
   * `PermissionValidator` mapping). Absent: `admin`. `'in-handler'`: the requirement depends on the body (the
   * context of a JSON-RPC call or a subscription), so the handler checks it with `demand()`.
   */
  permission?: ((p: { params: Record<string, string> }) => Permission) | 'in-handler';
  body?: { schema: S; errors: BodyErrors };
  /** Raw body: the handler gets the request stream (blob uploads). */
  rawBody?: boolean;
  /**
   * Schema of the JSON answer (2xx), from src/wire: documented in the OpenAPI document, and checked on every
   * answer when MEROD_CHECK_RESPONSES=1 (the test suite sets it), so handlers cannot drift from the wire types.
   */
  response?: z.ZodType;
  /** Content type of a non-JSON answer (for the OpenAPI document). */
  produces?: 'text/plain' | 'application/octet-stream' | 'text/event-stream';
  /** Answer value is sent as JSON; undefined means the handler already replied. */
  handler(ctx: HandlerContext<z.infer<S>>): Promise<unknown> | unknown;
}

export function defineRoute<S extends z.ZodType>(def: RouteDef<S>): RouteDef<S> {
  return def;
}

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
  const mime = ct.split(';')[0]!.trim().toLowerCase();
  return mime === 'application/json' || (mime.startsWith('application/') && mime.endsWith('+json'));
}

/** Parses and validates a JSON body with upstream's error texts and statuses. */
export function parseJsonBody<S extends z.ZodType>(
  raw: Buffer,
  contentType: string | undefined,
  spec: { schema: S; errors: BodyErrors },
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
