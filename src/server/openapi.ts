import { z } from 'zod';
import { methodsOf, type RouteDef } from '../http/route.ts';
import pkg from '../../package.json' with { type: 'json' };

type JsonSchema = Record<string, unknown>;

/** JSON Schema of a wire schema (refinements such as id checks are not representable and are left out). */
function schemaOf(s: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

const ERROR = { description: 'Refused: `{"error":"…"}` (JSON) or a text message, in upstream’s shape for the route' };

/** `getAdminApiContextsContextId`-style operation ids. */
function operationId(method: string, path: string): string {
  return `${method.toLowerCase()}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`;
}

function answer(r: RouteDef): Record<string, unknown> {
  if (r.response) return { description: 'OK', content: { 'application/json': { schema: schemaOf(r.response, 'output') } } };
  if (r.produces) return { description: 'OK', content: { [r.produces]: {} } };
  return { description: 'OK' };
}

/**
 * The OpenAPI 3.1 document of a list of route declarations (src/wire/routes): request bodies from `body.schema`,
 * answers from `response`. The same schemas validate requests on the server, answers in the tests, and both in
 * our client.
 */
export function openApiDocument(routes: readonly RouteDef[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.url.replace(/:([A-Za-z_]+)/g, '{$1}');
    const parameters = [...r.url.matchAll(/:([A-Za-z_]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    for (const method of methodsOf(r)) {
      const op: Record<string, unknown> = {
        operationId: operationId(method, path),
        ...(r.summary ? { summary: r.summary } : {}),
        ...(parameters.length ? { parameters } : {}),
        responses: { '200': answer(r), '4XX': ERROR },
      };
      if (r.body) op.requestBody = { required: true, content: { 'application/json': { schema: schemaOf(r.body.schema, 'input') } } };
      else if (r.rawBody) op.requestBody = { required: true, content: { 'application/octet-stream': {} } };
      if (r.access === 'protected') op.security = [{ bearer: [] }];
      paths[path] = { ...paths[path], [method.toLowerCase()]: op };
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'merod node server',
      version: pkg.version,
      description:
        'Admin API, JSON-RPC and SSE of a Calimero node (WebSocket `/ws` is described in docs/events.md). Protected ' +
        'routes need a bearer token when the node enforces auth (embedded mode, or proxy mode with validation).',
    },
    paths,
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
  };
}
