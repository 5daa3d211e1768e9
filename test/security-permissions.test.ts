import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ROUTES } from '../src/server/routes.ts';
import type { Node } from '../src/node/node.ts';
import type { Method } from '../src/server/route.ts';
import { ADMIN, formatPermission, hasPermissions, parsePermission, permission, permitted, requiredPermissions } from '../src/auth/index.ts';
import { splitPermissions } from '../src/server/auth/proxy.ts';

// The permission rules as pure functions: every node route's declared permission equals what mero-auth's
// forward-auth table requires for the same method and path (so embedded and proxy mode refuse alike), and the
// matching rules for scopes, identities, methods and the header format.

const node = {
  config: { mode: 'standard', server: { admin: { enabled: true }, jsonrpc: { enabled: true }, sse: { enabled: true } } },
} as unknown as Node;

const SAMPLE: Record<string, string> = {
  context_id: 'Ctx1111111111111111111111111111111111111111',
  application_id: 'App1111111111111111111111111111111111111111',
  blob_id: 'Blob111111111111111111111111111111111111111',
  session_id: '42',
  name: 'alias1',
  context: 'Ctx2222222222222222222222222222222222222222',
};

describe('route permissions', () => {
  test("every protected route's declared permission is mero-auth's requirement for its path", () => {
    let checked = 0;
    for (const def of ROUTES(node)) {
      if (def.access === 'public' || def.permission === 'in-handler') continue;
      const methods = ([def.method].flat() as Method[]).flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m]));
      const params: Record<string, string> = {};
      const path = def.url.replace(/:([a-z_]+)/g, (_, k: string) => (params[k] = SAMPLE[k] ?? `x-${k}`));
      const declared = def.permission ? def.permission({ params }) : ADMIN;
      for (const m of methods) {
        const table = requiredPermissions(m, path);
        if (def.access === 'optional') continue;
        assert.notEqual(table, 'any-execute', `${m} ${def.url}`);
        assert.deepEqual(table, [declared], `${m} ${def.url}: route says ${formatPermission(declared)}`);
        checked++;
      }
    }
    assert.ok(checked > 40, `checked ${checked} route methods`);
  });

  test('unlisted /admin-api paths need admin; JSON-RPC needs some execute right; streams only a token', () => {
    assert.deepEqual(requiredPermissions('POST', '/admin-api/install-dev-application'), [ADMIN]);
    assert.deepEqual(requiredPermissions('GET', '/admin-api/totally-unknown'), [ADMIN]);
    assert.deepEqual(requiredPermissions('POST', '/admin-api/contexts/x'), [ADMIN]);
    assert.deepEqual(requiredPermissions('GET', '/ws'), []);
    assert.equal(requiredPermissions('POST', '/jsonrpc'), 'any-execute');
    assert.ok(permitted(['context:execute[A]'], 'any-execute'));
    assert.ok(permitted(['context[A,alice]'], 'any-execute'));
    assert.ok(!permitted(['context:list', 'application'], 'any-execute'));
    assert.ok(!permitted(['context:execute[A]'], [ADMIN]));
  });
});

describe('matching', () => {
  const has = (held: string[], req: ReturnType<typeof permission>) => hasPermissions(held, [req]);

  test('scopes narrow; unscoped holds every resource', () => {
    assert.ok(has(['context:delete'], permission('context', 'delete', 'A')));
    assert.ok(has(['context:delete[A]'], permission('context', 'delete', 'A')));
    assert.ok(!has(['context:delete[A]'], permission('context', 'delete', 'C')));
    assert.ok(!has(['context:delete[A]'], permission('context', 'delete')));
    // A bare context[A] is not every action on A.
    assert.ok(!has(['context[A]'], permission('context', 'delete', 'A')));
  });

  test("an identity restricts only requirements naming one; a method restricts the call's method", () => {
    assert.ok(has(['context:execute[A,alice]'], permission('context', 'execute', 'A', 'alice', 'set')));
    assert.ok(!has(['context:execute[A,alice]'], permission('context', 'execute', 'A', 'bob', 'set')));
    assert.ok(has(['context:list[A,alice]'], permission('context', 'list', 'A')));
    assert.ok(has(['context:execute[A,,get]'], permission('context', 'execute', 'A', 'bob', 'get')));
    assert.ok(!has(['context:execute[A,,get]'], permission('context', 'execute', 'A', 'bob', 'set')));
  });

  test('ids with separators cannot widen a requirement (requirements are built, not parsed)', () => {
    const req = permission('context', 'delete', 'A,B');
    assert.deepEqual(req.scope, ['A,B']);
    assert.ok(!has(['context:delete[A]'], req));
    assert.equal(formatPermission(permission('context', 'execute', 'A', null, 'get')), 'context:execute[A,,get]');
    assert.equal(formatPermission(parsePermission('blob:get[b1]')), 'blob:get[b1]');
  });

  test('X-Auth-Permissions splits on commas outside brackets', () => {
    assert.deepEqual(splitPermissions('context[A,alice],context:execute[A],admin'), ['context[A,alice]', 'context:execute[A]', 'admin']);
    assert.deepEqual(splitPermissions(null), []);
  });
});
