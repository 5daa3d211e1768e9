/**
 * mero-auth permission strings (upstream `auth/permissions/types.rs`):
 *   `admin`
 *   `application[:list|:install|:uninstall][<scope>]`
 *   `package[:list-packages|:list-versions|:get-latest-version][<scope>]`
 *   `blob[:add[:stream|:file|:url]|:remove<scope>]`
 *   `context[:create|:list|:delete|:leave|:invite|:execute|:capabilities:grant|…|:alias:create:context|…][<ctx>,<user>,<method>]`
 *   `keys[:create|:list|:delete|:revoke|:clients[:list|:delete]|:permissions[:get|:update]][<key>]`
 * A bracketed first parameter narrows the resource (`[id]`), no brackets/empty = global.
 */

export type Scope = string[] | null; // null = global
export interface Permission {
  category: 'admin' | 'application' | 'package' | 'blob' | 'context' | 'keys';
  /** Action path below the category, '' = every action of the category ("All"). */
  action: string;
  scope: Scope;
  user: string | null;
  method: string | null;
}

const APPLICATION_ACTIONS = new Set(['', 'list', 'install', 'uninstall']);
const PACKAGE_ACTIONS = new Set(['', 'list-packages', 'list-versions', 'get-latest-version']);
const BLOB_ACTIONS = new Set(['', 'add', 'add:stream', 'add:file', 'add:url', 'remove']);
const CONTEXT_SIMPLE = new Set(['', 'create', 'list', 'delete', 'leave', 'invite', 'execute']);
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
      return { ...mk('blob', action), scope: action === 'remove' ? scope : null };
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
      if (held.user !== null && held.user !== required.user) return false;
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

const keysPerm = (action: string, scope: Scope = null): Permission => ({
  category: 'keys',
  action,
  scope,
  user: null,
  method: null,
});

/**
 * Permissions required for a protected `/admin/*` route (upstream `PermissionValidator`, keys part).
 * `path` is the URL path without the query string.
 */
export function requiredAdminPermissions(method: string, path: string): Permission[] {
  const m = method.toUpperCase();
  const p = path.replace(/\/+$/, '') || '/';
  if (p === '/admin/revoke' && m === 'POST') return [keysPerm('delete')];
  if (p === '/admin/keys') return m === 'GET' ? [keysPerm('list')] : m === 'POST' ? [keysPerm('create')] : [];
  if (p === '/admin/keys/clients' && m === 'GET') return [keysPerm('clients:list')];
  let r = /^\/admin\/keys\/([^/]+)\/permissions$/.exec(p);
  if (r) {
    const id = decodeURIComponent(r[1]!);
    if (m === 'GET') return [keysPerm('permissions:get', [id])];
    if (m === 'PUT') return [keysPerm('permissions:update', [id])];
    return [];
  }
  r = /^\/admin\/keys\/[^/]+\/clients\/[^/]+$/.exec(p);
  if (r && m === 'DELETE') return [keysPerm('clients:delete')];
  r = /^\/admin\/keys\/[^/]+$/.exec(p);
  if (r && m === 'DELETE') return [keysPerm('delete')];
  return [];
}
