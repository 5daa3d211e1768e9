import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fillPath, methodsOf, route, type PathParams } from './route.ts';

test('fillPath puts the parameters in, percent-encoded, and refuses a missing one', () => {
  assert.equal(fillPath('/admin-api/contexts/:context_id/identities', { context_id: 'a/b c' }), '/admin-api/contexts/a%2Fb%20c/identities');
  assert.equal(fillPath('/admin-api/alias/lookup/identity/:context/:name', { context: 'C', name: 'n' }), '/admin-api/alias/lookup/identity/C/n');
  assert.equal(fillPath('/admin-api/health', {}), '/admin-api/health');
  assert.throws(() => fillPath('/admin-api/blobs/:blob_id', {}), /missing path parameter blob_id/);
});

test('methodsOf lists one or several methods', () => {
  assert.deepEqual(methodsOf(route({ method: 'GET', url: '/x', access: 'public' })), ['GET']);
  assert.deepEqual(methodsOf(route({ method: ['GET', 'POST'], url: '/x', access: 'public' })), ['GET', 'POST']);
});

test('a declaration keeps its literal url, and the path parameters are typed from it', () => {
  const r = route({ method: 'GET', url: '/a/:x/b/:y', access: 'protected' });
  const url: '/a/:x/b/:y' = r.url;
  const params: PathParams<typeof r.url> = { x: '1', y: '2' };
  // @ts-expect-error: `z` is not a parameter of this url
  const wrong: PathParams<typeof r.url> = { x: '1', y: '2', z: '3' };
  assert.equal(fillPath(url, params), '/a/1/b/2');
  assert.ok(wrong);
});
