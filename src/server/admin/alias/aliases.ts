import type { Handler } from '../../handler.ts';
import type { Services } from '../../services.ts';
import type { aliasRoutes } from '../../../wire/routes/aliases.ts';
import { aliasName } from '../../../wire/common.ts';
import { decodeId, encodeId, ZERO32 } from '../../../util/ids.ts';
import { textError } from '../../errors.ts';
import type { AliasKind } from '../../../node/contexts.ts';

type R = typeof aliasRoutes;
type Ctx = Pick<Services, 'contexts'>;

/**
 * Alias routes: create/lookup/delete/list for contexts, applications and identities (the latter scoped by a
 * context id in the path). Path errors are 400 `invalid path params`, as upstream.
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

type CreateRoute = R['createContextAlias'] | R['createApplicationAlias'] | R['createIdentityAlias'];
type LookupRoute = R['lookupContextAlias'] | R['lookupApplicationAlias'] | R['lookupIdentityAlias'];
type DeleteRoute = R['deleteContextAlias'] | R['deleteApplicationAlias'] | R['deleteIdentityAlias'];
type ListRoute = R['listContextAliases'] | R['listApplicationAliases'] | R['listIdentityAliases'];
/** The `:context` of the identity routes (absent on the others). */
const contextParam = (params: object) => (params as { context?: string }).context;

/** The aliased id of a create body (`contextId`, `applicationId` or `identity`). */
function targetOf(body: { contextId: string } | { applicationId: string } | { identity: string }): string {
  return 'contextId' in body ? body.contextId : 'applicationId' in body ? body.applicationId : body.identity;
}

export const createAlias =
  (s: Ctx, kind: AliasKind): Handler<CreateRoute> =>
  async ({ params, body }) => {
    const created = await s.contexts.createAlias(kind, scopeOf(kind, contextParam(params)), body.alias, decodeId(targetOf(body)));
    if (!created) throw textError(409, 'alias already exists');
    return { data: null };
  };

export const lookupAlias =
  (s: Ctx, kind: AliasKind): Handler<LookupRoute> =>
  async ({ params }) => {
    const value = await s.contexts.lookupAlias(kind, scopeOf(kind, contextParam(params)), nameOf(params.name));
    return { data: { value: value ? encodeId(value) : null } };
  };

export const deleteAlias =
  (s: Ctx, kind: AliasKind): Handler<DeleteRoute> =>
  async ({ params }) => {
    await s.contexts.deleteAlias(kind, scopeOf(kind, contextParam(params)), nameOf(params.name));
    return { data: null };
  };

export const listAliases =
  (s: Ctx, kind: AliasKind): Handler<ListRoute> =>
  async ({ params }) => ({ data: await s.contexts.listAliases(kind, scopeOf(kind, contextParam(params))) });
