import type { z } from 'zod';
import type { Permission } from '../wire/permission.ts';

/**
 * Route declarations as data, shared by the node server (which attaches one handler to each), mero-auth, the
 * OpenAPI document and our client (which derives its calls and their types from them). This module and the
 * declarations (src/wire/routes) import no server, auth or node code, so every side can use them.
 */

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD';

/**
 * How a route reports a bad body, mirroring upstream's extractors:
 * - 'validated' (ValidatedJson): always 400 with {"error":"…"};
 * - 'plain' (axum Json): 415 / 400 / 422 / 413 with a text/plain body;
 * - 'auth' (mero-auth): 400 / 422 with its `{"data":null,"error":"…"}` envelope.
 */
export type BodyErrors = 'validated' | 'plain' | 'auth';

/**
 * Public routes need nothing; protected routes need a valid credential when auth is enforced (embedded mode,
 * or proxy mode with validation); optional routes check a credential only when the request brings one.
 */
export type Access = 'public' | 'protected' | 'optional';

/** What the caller must hold on a protected route, from the path parameters. */
export type PermissionOf = (p: { params: Record<string, string> }) => Permission;

export interface RouteDef {
  readonly method: Method | readonly Method[];
  /** Path with `:name` parameters (fastify / find-my-way syntax). */
  readonly url: string;
  readonly access: Access;
  /**
   * What the caller must hold on a protected route, in mero-auth's permission names (upstream's
   * `PermissionValidator` mapping). Absent: `admin`. `'in-handler'`: the requirement depends on the body (the
   * context of a JSON-RPC call or a subscription), so the handler checks it itself.
   */
  readonly permission?: PermissionOf | 'in-handler';
  readonly body?: { readonly schema: z.ZodType; readonly errors: BodyErrors };
  /** Raw body: the handler gets the request stream (blob uploads). */
  readonly rawBody?: boolean;
  /** Query parameters the route reads (documented; all optional strings). */
  readonly query?: readonly string[];
  /**
   * Schema of the JSON answer (2xx), from src/wire: documented in the OpenAPI document, checked on every answer
   * when MEROD_CHECK_RESPONSES=1 (the test suite sets it), and validated by our client.
   */
  readonly response?: z.ZodType;
  /** Content type of a non-JSON answer (for the OpenAPI document and the client). */
  readonly produces?: 'text/plain' | 'text/html' | 'application/octet-stream' | 'text/event-stream';
  /**
   * How a failure the route does not describe itself is answered: 'json' (default) as the server's 500, 'text'
   * as upstream's install routes do (500 text/plain with the message).
   */
  readonly failure?: 'json' | 'text';
  /** Served outside `NODE_PATH_PREFIX` (SSE, mero-auth): the client sends it to its `rootUrl`. */
  readonly root?: boolean;
  /** One line for the OpenAPI document. */
  readonly summary?: string;
}

/** Declares a route, keeping its literal url and schemas for the types derived from it. */
export function route<const D extends RouteDef>(def: D): D {
  return def;
}

/** `/a/:x/b/:y` → `{ x: string; y: string }`; a trailing `*` is the parameter `'*'`. */
export type PathParams<U extends string> = U extends `${string}:${infer P}/${infer Rest}`
  ? { [K in P]: string } & PathParams<`/${Rest}`>
  : U extends `${string}:${infer P}`
    ? { [K in P]: string }
    : U extends `${string}*`
      ? { '*'?: string }
      : Record<never, string>;

/** The validated body a handler receives. */
export type BodyOut<D extends RouteDef> = D extends { body: { schema: infer S extends z.ZodType } } ? z.output<S> : unknown;
/** The body a client sends. */
export type BodyIn<D extends RouteDef> = D extends { body: { schema: infer S extends z.ZodType } } ? z.input<S> : undefined;
/** The JSON answer a client receives (validated). */
export type ResponseOf<D extends RouteDef> = D extends { response: infer S extends z.ZodType } ? z.output<S> : unknown;
/** The JSON answer a handler returns (checked against the schema in tests). */
export type ResponseIn<D extends RouteDef> = D extends { response: infer S extends z.ZodType } ? z.input<S> : unknown;

/** The methods of a declaration as a list. */
export function methodsOf(def: RouteDef): Method[] {
  return [def.method].flat() as Method[];
}

/** A path with its parameters filled in (percent-encoded). */
export function fillPath(url: string, params: Record<string, string>): string {
  return url.replace(/:([A-Za-z_]+)/g, (_m, k: string) => {
    const v = params[k];
    if (v === undefined) throw new Error(`${url}: missing path parameter ${k}`);
    return encodeURIComponent(v);
  });
}
