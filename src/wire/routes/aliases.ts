import type { z } from 'zod';
import { route } from '../../http/route.ts';
import {
  createApplicationAliasRequest,
  createContextAliasRequest,
  createIdentityAliasRequest,
  emptyResponse,
  listAliasesResponse,
  lookupAliasResponse,
} from '../admin.ts';

/**
 * Aliases of contexts, applications and identities (the latter scoped by a context id in the path). Upstream
 * uses the plain Json extractor here: body errors are axum's text/plain 415/422.
 */
const create = <const U extends string, S extends z.ZodType>(url: U, schema: S) =>
  route({ method: 'POST', url, access: 'protected', body: { schema, errors: 'plain' }, response: emptyResponse });
const lookup = <const U extends string>(url: U) => route({ method: 'POST', url, access: 'protected', response: lookupAliasResponse });
const remove = <const U extends string>(url: U) => route({ method: 'POST', url, access: 'protected', response: emptyResponse });
const list = <const U extends string>(url: U) => route({ method: 'GET', url, access: 'protected', response: listAliasesResponse });

export const aliasRoutes = {
  createContextAlias: create('/admin-api/alias/create/context', createContextAliasRequest),
  createApplicationAlias: create('/admin-api/alias/create/application', createApplicationAliasRequest),
  createIdentityAlias: create('/admin-api/alias/create/identity/:context', createIdentityAliasRequest),
  lookupContextAlias: lookup('/admin-api/alias/lookup/context/:name'),
  lookupApplicationAlias: lookup('/admin-api/alias/lookup/application/:name'),
  lookupIdentityAlias: lookup('/admin-api/alias/lookup/identity/:context/:name'),
  deleteContextAlias: remove('/admin-api/alias/delete/context/:name'),
  deleteApplicationAlias: remove('/admin-api/alias/delete/application/:name'),
  deleteIdentityAlias: remove('/admin-api/alias/delete/identity/:context/:name'),
  listContextAliases: list('/admin-api/alias/list/context'),
  listApplicationAliases: list('/admin-api/alias/list/application'),
  listIdentityAliases: list('/admin-api/alias/list/identity/:context'),
};
