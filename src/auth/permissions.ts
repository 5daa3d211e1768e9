/**
 * mero-auth permission strings (upstream `auth/permissions/types.rs`):
 *   `admin`
 *   `application[:list|:install|:uninstall][<scope>]`
 *   `package[:list-packages|:list-versions|:get-latest-version][<scope>]`
 *   `blob[:add[:stream|:file|:url]|:remove|:list|:get][<scope>]` (`list`/`get` are ours: upstream 0.10.0 has no blob
 *     read permission, later upstream added these names)
 *   `context[:create|:list|:delete|:leave|:invite|:execute|:subscribe|:capabilities:grant|…|:alias:create:context|…][<ctx>,<user>,<method>]`
 *     (`subscribe` is ours: the right to receive a context's events on WS/SSE; later upstream uses the same name)
 *   `keys[:create|:list|:delete|:revoke|:clients[:list|:delete]|:permissions[:get|:update]][<key>]`
 * A bracketed first parameter narrows the resource (`[id]`), no brackets/empty = global.
 */

import { ADMIN, permission, type Permission, type Scope } from '../wire/permission.ts';

export { ADMIN, permission, type Permission, type Scope };

const APPLICATION_ACTIONS = new Set(['', 'list', 'install', 'uninstall']);
const PACKAGE_ACTIONS = new Set(['', 'list-packages', 'list-versions', 'get-latest-version']);
const BLOB_ACTIONS = new Set(['', 'add', 'add:stream', 'add:file', 'add:url', 'remove', 'list', 'get']);
const CONTEXT_SIMPLE = new Set(['', 'create', 'list', 'delete', 'leave', 'invite', 'execute', 'subscribe']);
const ALIAS_OPS = new Set(['create', 'list', 'lookup', 'delete']);
const ALIAS_TYPES = new Set(['context', 'application', 'identity']);

export class PermissionError extends Error {}

function parseParams(s: string): { scope: Scope; user: string | null; method: string | null } {
  const start = s.indexOf('[');
  const end = s.indexOf(']');
  if (start < 0 || end < 0 || end < start) return { scope: null, user: null, method: null };
  const inner = s.slice(start + 1, end);
  if (inner === '') return { scope: null, user: null, method: null };
  const parts = inner.split(',').map((p) => p.trim());
  return {
    scope: parts[0] ? [parts[0]] : null,
    user: parts[1] ? parts[1] : null,
    method: parts[2] ? parts[2] : null,
  };
}

/** Parses a permission string; throws {@link PermissionError} with upstream's messages. */
export function parsePermission(s: string): Permission {
  if (s === '') throw new PermissionError('Empty permission string');
  const b = s.indexOf('[');
  const main = b >= 0 ? s.slice(0, b) : s;
  const { scope, user, method } = parseParams(b >= 0 ? s.slice(b) : '');
  const [category = '', ...rest] = main.split(':');
  const action = rest.join(':');
  const mk = (category: Permission['category'], action: string, withUser = false): Permission => ({
    category,
    action,
    scope,
    user: withUser ? user : null,
    method: withUser ? method : null,
  });
  switch (category) {
    case 'admin':
      return mk('admin', '');
    case 'application':
      if (!APPLICATION_ACTIONS.has(action)) throw new PermissionError(`Unknown application action: ${rest[0]}`);
      return mk('application', action);
    case 'package':
      if (!PACKAGE_ACTIONS.has(action)) throw new PermissionError(`Unknown package action: ${rest[0]}`);
      return mk('package', action);
    case 'blob':
      if (!BLOB_ACTIONS.has(action)) throw new PermissionError(`Unknown blob action: ${rest[0]}`);
      return { ...mk('blob', action), scope: action === 'remove' || action === 'list' || action === 'get' ? scope : null };
    case 'context': {
      if (CONTEXT_SIMPLE.has(action)) return mk('context', action, true);
      if (action === 'capabilities:grant' || action === 'capabilities:revoke' || action === 'application:update') {
        return mk('context', action);
      }
      const [sub, op, type] = rest;
      if (sub === 'alias' && op && ALIAS_OPS.has(op) && type && ALIAS_TYPES.has(type) && rest.length === 3) {
        return mk('context', action);
      }
      throw new PermissionError(`Unknown context action: ${rest[0]}`);
    }
    case 'keys': {
      const norm: Record<string, string> = {
        '': '',
        create: 'create',
        list: 'list',
        delete: 'delete',
        revoke: 'delete',
        clients: 'clients:list',
        'clients:list': 'clients:list',
        'clients:delete': 'clients:delete',
        permissions: 'permissions:get',
        'permissions:get': 'permissions:get',
        'permissions:update': 'permissions:update',
      };
      const a = norm[action];
      if (a === undefined) throw new PermissionError(`Unknown keys action: ${rest[0]}`);
      return { ...mk('keys', a), scope: a.startsWith('permissions') ? scope : null };
    }
    default:
      throw new PermissionError(`Unknown permission category: ${category}`);
  }
}

export function isValidPermission(s: string): boolean {
  try {
    parsePermission(s);
    return true;
  } catch {
    return false;
  }
}

function scopeCovers(held: Scope, required: Scope): boolean {
  if (held === null) return true;
  if (required === null) return false;
  return required.every((id) => held.includes(id));
}

/** Whether holding `held` grants `required` (upstream `Permission::satisfies`, plus scope matching for keys). */
export function satisfies(held: Permission, required: Permission): boolean {
  if (held.category === 'admin') return true;
  if (held.category !== required.category) return false;
  switch (held.category) {
    case 'application':
    case 'package':
      if (held.action === '') return true;
      return held.action === required.action && scopeCovers(held.scope, required.scope);
    case 'blob':
      if (held.action === '') return true;
      if (held.action === 'add') return required.action.startsWith('add');
      return held.action === required.action && scopeCovers(held.scope, required.scope);
    case 'context':
      // Upstream: a bare `context[...]` only satisfies another bare `context[...]` requirement.
      if (held.action !== required.action) return false;
      if (!scopeCovers(held.scope, required.scope)) return false;
      // A held user (identity) constrains only requirements that name one (a JSON-RPC call's executor); upstream
      // also refuses a user-scoped permission for user-less requirements such as listing that context.
      if (held.user !== null && required.user !== null && held.user !== required.user) return false;
      if (held.method !== null && required.method !== null && held.method !== required.method) return false;
      return true;
    case 'keys':
      if (held.action === '') return true;
      return held.action === required.action && scopeCovers(held.scope, required.scope);
    default:
      return false;
  }
}

/** True when `permissions` (strings from a token/key) cover every one of `required`. */
export function hasPermissions(permissions: readonly string[], required: readonly Permission[]): boolean {
  if (permissions.includes('admin')) return true;
  const held: Permission[] = [];
  for (const p of permissions) {
    try {
      held.push(parsePermission(p));
    } catch {
      /* unknown strings grant nothing */
    }
  }
  return required.every((r) => held.some((h) => satisfies(h, r)));
}

/** Whether a key holding `permissions` may grant `perm` (root keys hold `admin` implicitly). */
export function keyHasPermission(permissions: readonly string[], perm: string, isRoot: boolean): boolean {
  let required: Permission;
  try {
    required = parsePermission(perm);
  } catch {
    return false;
  }
  if (isRoot && (perm === 'admin' || perm.startsWith('admin:'))) return true;
  return hasPermissions(permissions, [required]);
}

/** mero-auth's string form of a requirement, for messages (`context:execute[<ctx>,<user>,<method>]`). */
export function formatPermission(p: Permission): string {
  if (p.category === 'admin') return 'admin';
  const head = p.action ? `${p.category}:${p.action}` : p.category;
  const params = [p.scope?.join(',') ?? '', p.user ?? '', p.method ?? ''];
  while (params.length && params[params.length - 1] === '') params.pop();
  return params.length ? `${head}[${params.join(',')}]` : head;
}

/**
 * What mero-auth's forward-auth check (`/auth/validate` with `X-Forwarded-Method`/`-Uri`) and its own `/admin`
 * routes require, by method and path (upstream `PermissionValidator::determine_required_permissions`, same names
 * and scopes). Where we go further than upstream 0.10.0:
 * - any `/admin-api/*` path not listed needs `admin` (upstream 0.10.0 let every valid token through there; later
 *   upstream versions deny the same way);
 * - `HEAD` is treated as `GET`; blob reads need `blob:list` / `blob:get[<id>]`;
 * - `/jsonrpc` needs a `context:execute` of any scope here (upstream: unscoped), because the context is in the body:
 *   the node checks `context:execute[<ctx>,<executor>,<method>]` itself; `/ws` and `/sse*` need a valid token only,
 *   and the node checks each subscription (see docs/security.md).
 * The node itself does not use this table: each of its routes declares its permission (src/server/routes.ts).
 */
export function requiredPermissions(method: string, path: string): Permission[] | 'any-execute' {
  const m = method.toUpperCase() === 'HEAD' ? 'GET' : method.toUpperCase();
  const p = path.replace(/\/+$/, '') || '/';
  const seg = (i: number) => {
    const raw = p.split('/')[i] ?? '';
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw;
    }
  };
  const k = (action: string, scope: string | null = null) => permission('keys', action, scope);
  const route = (pattern: RegExp) => pattern.test(p);
  if (p === '/jsonrpc' && m === 'POST') return 'any-execute';
  // mero-auth's own admin routes
  if (p === '/admin/revoke' && m === 'POST') return [k('delete')];
  if (p === '/admin/keys') return m === 'GET' ? [k('list')] : m === 'POST' ? [k('create')] : [ADMIN];
  if (p === '/admin/keys/clients' && m === 'GET') return [k('clients:list')];
  if (route(/^\/admin\/keys\/[^/]+\/permissions$/)) {
    return m === 'GET' ? [k('permissions:get', seg(3))] : m === 'PUT' ? [k('permissions:update', seg(3))] : [ADMIN];
  }
  if (route(/^\/admin\/keys\/[^/]+\/clients\/[^/]+$/)) return m === 'DELETE' ? [k('clients:delete')] : [ADMIN];
  if (route(/^\/admin\/keys\/[^/]+$/)) return m === 'DELETE' ? [k('delete')] : [ADMIN];
  if (p === '/admin/client-key' || p === '/admin/identity' || p === '/admin/metrics') return [];
  if (/^\/admin-api\/(health|is-authed|certificate|openapi\.json)$/.test(p)) return [];
  // the node's admin API
  const app = (action: string, scope: string | null = null) => permission('application', action, scope);
  const ctx = (action: string, scope: string | null = null) => permission('context', action, scope);
  const blob = (action: string, scope: string | null = null) => permission('blob', action, scope);
  const pkg = (action: string, scope: string | null = null) => permission('package', action, scope);
  const table: Array<[string, RegExp, () => Permission]> = [
    ['GET', /^\/admin-api\/applications$/, () => app('list')],
    ['GET', /^\/admin-api\/applications\/[^/]+$/, () => app('list', seg(3))],
    ['DELETE', /^\/admin-api\/applications\/[^/]+$/, () => app('uninstall', seg(3))],
    ['POST', /^\/admin-api\/install-application$/, () => app('install')],
    ['POST', /^\/admin-api\/uninstall-application$/, () => app('uninstall')],
    ['GET', /^\/admin-api\/packages$/, () => pkg('list-packages')],
    ['GET', /^\/admin-api\/packages\/[^/]+\/versions$/, () => pkg('list-versions', seg(3))],
    ['GET', /^\/admin-api\/packages\/[^/]+\/latest$/, () => pkg('get-latest-version', seg(3))],
    ['GET', /^\/admin-api\/contexts$/, () => ctx('list')],
    ['POST', /^\/admin-api\/contexts$/, () => ctx('create')],
    ['GET', /^\/admin-api\/contexts\/[^/]+$/, () => ctx('list', seg(3))],
    ['DELETE', /^\/admin-api\/contexts\/[^/]+$/, () => ctx('delete', seg(3))],
    ['POST', /^\/admin-api\/contexts\/[^/]+\/capabilities\/grant$/, () => ctx('capabilities:grant', seg(3))],
    ['POST', /^\/admin-api\/contexts\/[^/]+\/capabilities\/revoke$/, () => ctx('capabilities:revoke', seg(3))],
    ['POST', /^\/admin-api\/contexts\/[^/]+\/application$/, () => ctx('application:update', seg(3))],
    // ours: read-only views of one context, and leaving it
    ['GET', /^\/admin-api\/contexts\/[^/]+\/(identities|identities-owned|storage)$/, () => ctx('list', seg(3))],
    ['DELETE', /^\/admin-api\/contexts\/[^/]+\/membership$/, () => ctx('leave', seg(3))],
    ['GET', /^\/admin-api\/contexts\/for-application\/[^/]+$/, () => ctx('list', seg(4))],
    ['GET', /^\/admin-api\/contexts\/with-executors\/for-application\/[^/]+$/, () => ctx('list', seg(5))],
    ['PUT', /^\/admin-api\/blobs$/, () => blob('add:stream')],
    ['GET', /^\/admin-api\/blobs$/, () => blob('list')],
    ['GET', /^\/admin-api\/blobs\/[^/]+$/, () => blob('get', seg(3))],
    ['DELETE', /^\/admin-api\/blobs\/[^/]+$/, () => blob('remove', seg(3))],
  ];
  for (const [tm, re, make] of table) if (tm === m && re.test(p)) return [make()];
  if (p.startsWith('/admin-api/')) return [ADMIN];
  return [];
}

/** Whether `permissions` satisfy what {@link requiredPermissions} answered. */
export function permitted(permissions: readonly string[], required: Permission[] | 'any-execute'): boolean {
  if (required !== 'any-execute') return hasPermissions(permissions, required);
  if (permissions.includes('admin')) return true;
  return permissions.some((s) => {
    try {
      const p = parsePermission(s);
      // `context[<ctx>,<identity>]` is what `/admin/client-key` mints for an application's frontend.
      return p.category === 'context' && (p.action === 'execute' || p.action === '');
    } catch {
      return false;
    }
  });
}
