import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openApiDocument } from './openapi.ts';
import { authRoutes } from '../wire/routes/auth.ts';
import { nodeRoutes } from '../wire/routes/index.ts';

test("mero-auth's routes are documented from their declarations", () => {
  const doc = openApiDocument(Object.values(authRoutes)) as { paths: Record<string, Record<string, any>> };
  const token = doc.paths['/auth/token']!.post;
  assert.ok(token.requestBody.content['application/json'].schema.properties.auth_method);
  assert.deepEqual(Object.keys(token.responses['200'].content['application/json'].schema.properties).sort(), ['data', 'error']);
  assert.equal(token.security, undefined);
  assert.deepEqual(doc.paths['/admin/keys']!.get.security, [{ bearer: [] }]);
  assert.ok(doc.paths['/admin/keys']!.post.requestBody);
  assert.deepEqual(Object.keys(doc.paths['/auth/validate']!).sort(), ['get', 'post']);
  assert.deepEqual(doc.paths['/admin/keys/{key_id}/clients/{client_id}']!.delete.parameters.map((p: { name: string }) => p.name), ['key_id', 'client_id']);
});

test('every operation id is unique', () => {
  const doc = openApiDocument([...Object.values(nodeRoutes), ...Object.values(authRoutes)]) as { paths: Record<string, Record<string, any>> };
  const ids = Object.values(doc.paths).flatMap((p) => Object.values(p).map((op) => op.operationId as string));
  assert.equal(new Set(ids).size, ids.length);
});
