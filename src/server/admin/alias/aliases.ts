import { z } from 'zod';
import { defineRoute, type RouteDef } from '../../route.ts';
import { aliasName } from '../../../wire/common.ts';
import { createApplicationAliasRequest, createContextAliasRequest, createIdentityAliasRequest, emptyResponse, listAliasesResponse, lookupAliasResponse } from '../../../wire/admin.ts';
import { decodeId, encodeId, ZERO32 } from '../../../util/ids.ts';
import { textError } from '../../errors.ts';
import type { AliasKind } from '../../../node/contexts.ts';

/**
 * Alias routes (server-api §5.9): create/lookup/delete/list for contexts, applications and identities (the
 * latter scoped by a context id in the path). Upstream uses the plain Json extractor here, so body errors are
 * axum's text/plain 415/422; path errors are 400 `invalid path params`.
 */
function scopeOf(kind: AliasKind, context: string | undefined): Uint8Array {
  if (kind !== 'identity') return ZERO32;
  try {
    return decodeId(context ?? '');
  } catch {
    throw textError(400, 'invalid path params');
  }
}

function nameOf(raw: string | undefined): string {
  const r = aliasName.safeParse(raw ?? '');
  if (!r.success) throw textError(400, 'invalid path params');
  return r.data;
}

const createBodies = {
  context: { schema: createContextAliasRequest, target: (b: z.infer<typeof createContextAliasRequest>) => b.contextId },
  application: { schema: createApplicationAliasRequest, target: (b: z.infer<typeof createApplicationAliasRequest>) => b.applicationId },
  identity: { schema: createIdentityAliasRequest, target: (b: z.infer<typeof createIdentityAliasRequest>) => b.identity },
} as const;

function createRoute(kind: AliasKind, url: string): RouteDef {
  const spec = createBodies[kind];
  return defineRoute({
    method: 'POST',
    url,
    access: 'protected',
    response: emptyResponse,
    body: { schema: spec.schema as z.ZodType, errors: 'plain' },
    async handler({ node, body, params }) {
      const b = body as { alias: string };
      const target = decodeId((spec.target as (x: unknown) => string)(body));
      const created = await node.contexts.createAlias(kind, scopeOf(kind, params.context), b.alias, target);
      if (!created) throw textError(409, 'alias already exists');
      return { data: null };
    },
  }) as RouteDef;
}

function lookupRoute(kind: AliasKind, url: string): RouteDef {
  return defineRoute({
    method: 'POST',
    url,
    access: 'protected',
    response: lookupAliasResponse,
    async handler({ node, params }) {
      const value = await node.contexts.lookupAlias(kind, scopeOf(kind, params.context), nameOf(params.name));
      return { data: { value: value ? encodeId(value) : null } };
    },
  });
}

function deleteRoute(kind: AliasKind, url: string): RouteDef {
  return defineRoute({
    method: 'POST',
    url,
    access: 'protected',
    response: emptyResponse,
    async handler({ node, params }) {
      await node.contexts.deleteAlias(kind, scopeOf(kind, params.context), nameOf(params.name));
      return { data: null };
    },
  });
}

function listRoute(kind: AliasKind, url: string): RouteDef {
  return defineRoute({
    method: 'GET',
    url,
    access: 'protected',
    response: listAliasesResponse,
    async handler({ node, params }) {
      return { data: await node.contexts.listAliases(kind, scopeOf(kind, params.context)) };
    },
  });
}

export const aliasRoutes: RouteDef[] = [
  createRoute('context', '/admin-api/alias/create/context'),
  createRoute('application', '/admin-api/alias/create/application'),
  createRoute('identity', '/admin-api/alias/create/identity/:context'),
  lookupRoute('context', '/admin-api/alias/lookup/context/:name'),
  lookupRoute('application', '/admin-api/alias/lookup/application/:name'),
  lookupRoute('identity', '/admin-api/alias/lookup/identity/:context/:name'),
  deleteRoute('context', '/admin-api/alias/delete/context/:name'),
  deleteRoute('application', '/admin-api/alias/delete/application/:name'),
  deleteRoute('identity', '/admin-api/alias/delete/identity/:context/:name'),
  listRoute('context', '/admin-api/alias/list/context'),
  listRoute('application', '/admin-api/alias/list/application'),
  listRoute('identity', '/admin-api/alias/list/identity/:context'),
];
