/**
 * A permission requirement in mero-auth's terms (category, action, scope), as data. Route declarations
 * (src/wire/routes) name what each route needs with {@link permission}; mero-auth (src/auth/permissions.ts)
 * parses, formats and matches them. Kept here so declarations import nothing of the auth service.
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

/** Builds a requirement (ids are taken as given: never parsed out of a string, so `,` or `]` in them cannot widen it). */
export function permission(
  category: Permission['category'],
  action = '',
  scope: string | null = null,
  user: string | null = null,
  method: string | null = null,
): Permission {
  return { category, action, scope: scope === null ? null : [scope], user, method };
}

export const ADMIN: Permission = permission('admin');
