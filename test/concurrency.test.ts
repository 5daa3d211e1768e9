import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { appPath, call, startInProcNode, type InProcNode } from './helpers/inproc.ts';
import { decodeId, encodeId } from '../src/util/ids.ts';
import { applicationId } from '../src/node/applications.ts';

/**
 * Requests that race on one stored record: each must either win cleanly or be refused, never leave the record
 * half one request's and half the other's (the interleavings were found by review and reproduced first).
 */
describe('concurrent requests on one record', () => {
  let n: InProcNode;
  const install = async (metadata: number[]) =>
    (await call(n.url, 'POST', '/admin-api/install-dev-application', { path: appPath('kv-store'), metadata })).json.data.applicationId as string;
  const ids = (r: { json: any }) => (r.json.data.identities as string[]).slice().sort();

  before(async () => {
    n = await startInProcNode();
  });
  after(() => n.stop());

  test('two creations with one seed: one context, the other refused 409; its member is the membership', async () => {
    const app = await install([]);
    for (let i = 0; i < 5; i++) {
      const seed = encodeId(randomBytes(32));
      const create = () => call(n.url, 'POST', '/admin-api/contexts', { protocol: 'near', applicationId: app, contextSeed: seed, initializationParams: [] });
      const results = await Promise.all([create(), create()]);
      assert.deepEqual(results.map((r) => r.status).sort(), [200, 409], results.map((r) => r.text).join(' | '));
      const won = results.find((r) => r.status === 200)!.json.data;
      const [members, owned] = await Promise.all(
        ['identities', 'identities-owned'].map((p) => call(n.url, 'GET', `/admin-api/contexts/${won.contextId}/${p}`)),
      );
      assert.deepEqual(ids(members), [won.memberPublicKey]);
      assert.deepEqual(ids(owned), [won.memberPublicKey]);
    }
  });

  test('concurrent creations of one alias name: exactly one answers 200, and the alias names its target', async () => {
    const app = await install([]);
    const contexts = await Promise.all(
      Array.from({ length: 8 }, async () => (await call(n.url, 'POST', '/admin-api/contexts', { protocol: 'near', applicationId: app, initializationParams: [] })).json.data.contextId as string),
    );
    for (let i = 0; i < 5; i++) {
      const alias = `race-${i}`;
      const results = await Promise.all(contexts.map((contextId) => call(n.url, 'POST', '/admin-api/alias/create/context', { alias, contextId })));
      const won = results.flatMap((r, k) => (r.status === 200 ? [contexts[k]] : []));
      assert.equal(won.length, 1, results.map((r) => `${r.status} ${r.text}`).join(' | '));
      assert.ok(results.every((r) => r.status === 200 || r.status === 409), results.map((r) => r.status).join(','));
      const looked = await call(n.url, 'POST', `/admin-api/alias/lookup/context/${alias}`);
      assert.equal(looked.status, 200, looked.text);
      assert.equal(looked.json.data.value, won[0]);
    }
  });

  test('a failed migration switches back only its own switch: a concurrent switch that answered 200 stays', async () => {
    const [a, b, c] = [await install([1]), await install([2]), await install([3])];
    for (let i = 0; i < 5; i++) {
      const { contextId, memberPublicKey } = (await call(n.url, 'POST', '/admin-api/contexts', { protocol: 'near', applicationId: a, initializationParams: [] })).json.data;
      const update = (applicationId: string, migrateMethod?: string) =>
        call(n.url, 'POST', `/admin-api/contexts/${contextId}/application`, { applicationId, executorPublicKey: memberPublicKey, ...(migrateMethod ? { migrateMethod } : {}) });
      const [failed, switched] = await Promise.all([update(b, 'no_such_method'), update(c)]);
      assert.ok(failed.status >= 400 && failed.status < 500, `${failed.status} ${failed.text}`);
      assert.equal(switched.status, 200, switched.text);
      // In either order the switch to C is the last one standing: the failed one switched back before C, or
      // after C it finds C current and leaves it.
      const now = (await call(n.url, 'GET', `/admin-api/contexts/${contextId}`)).json.data.applicationId;
      assert.equal(now, c);
    }
  });

  test("install from the node's own blob URL while the blob is deleted: one of the two wins, the other is refused", async () => {
    const module = readFileSync(appPath('kv-store'));
    for (let i = 0; i < 20; i++) {
      // A module of its own per trial (a custom section), so no earlier install holds the same content.
      const bytes = Buffer.concat([module, Buffer.from([0, 5, 4, 0x72, i, 7, 7])]);
      const blobId = (await call(n.url, 'PUT', '/admin-api/blobs', new Uint8Array(bytes))).json.data.blob_id as string;
      const installing = call(n.url, 'POST', '/admin-api/install-application', { url: `${n.url}/admin-api/blobs/${blobId}`, metadata: [] });
      for (let k = 0; k < i % 10; k++) await new Promise((r) => setImmediate(r));
      const [installed, deleted] = await Promise.all([installing, call(n.url, 'DELETE', `/admin-api/blobs/${blobId}`)]);
      const statuses = `install ${installed.status} ${installed.text} / delete ${deleted.status} ${deleted.text}`;
      if (installed.status === 200) {
        // The delete came second and was refused, or came first and the install stored the bytes it had read.
        if (deleted.status !== 200) {
          assert.equal(deleted.status, 409, statuses);
          assert.match(deleted.json.error, new RegExp(`module of installed application ${installed.json.data.applicationId}`));
        }
        assert.equal((await call(n.url, 'HEAD', `/admin-api/blobs/${blobId}`)).status, 200, `the module is stored (${statuses})`);
      } else {
        assert.ok([404, 409].includes(installed.status), statuses);
        assert.equal(deleted.status, 200, statuses);
      }
    }
  });

  test('a blob that is an installed application\'s module is not deleted; after the uninstall it is', async () => {
    const bytes = Buffer.concat([readFileSync(appPath('kv-store')), Buffer.from([0, 4, 3, 0x6f, 0x77, 0x6e])]);
    const blobId = (await call(n.url, 'PUT', '/admin-api/blobs', new Uint8Array(bytes))).json.data.blob_id as string;
    const app = (await call(n.url, 'POST', '/admin-api/install-application', { url: `${n.url}/admin-api/blobs/${blobId}`, metadata: [4] })).json.data.applicationId;
    const refused = await call(n.url, 'DELETE', `/admin-api/blobs/${blobId}`);
    assert.equal(refused.status, 409, refused.text);
    assert.equal((await call(n.url, 'DELETE', `/admin-api/applications/${app}`)).status, 200);
    assert.equal((await call(n.url, 'DELETE', `/admin-api/blobs/${blobId}`)).status, 200);
  });

  test('an application recorded while an uninstall collects its module: never a record without its module', async () => {
    const node = n.running.node;
    for (let i = 0; i < 80; i++) {
      const a = await install([9, i]);
      const meta = (await node.apps.get(decodeId(a)))!;
      const x = { ...meta, source: 'https://example.invalid/kv.wasm', metadata: [7, i] };
      const xId = applicationId(decodeId(meta.bytecode), meta.size, x.source, Uint8Array.from(x.metadata));
      // The record is attempted a few event-loop turns into the uninstall, a different number each time, so that
      // it meets the uninstall at each of its steps (the in-use check, the collection).
      const uninstall = node.apps.uninstall(decodeId(a));
      for (let k = 0; k < i % 40; k++) await new Promise((r) => setImmediate(r));
      const [, adopted] = await Promise.all([uninstall, node.apps.adopt(xId, x)]);
      const [record, module] = await Promise.all([node.apps.get(xId), node.blobs.info(decodeId(meta.bytecode))]);
      assert.equal(record !== null, adopted);
      if (record) {
        assert.ok(module, 'a recorded application has its module');
        const created = await call(n.url, 'POST', '/admin-api/contexts', { protocol: 'near', applicationId: encodeId(xId), initializationParams: [] });
        assert.equal(created.status, 200, created.text);
        await node.apps.uninstall(xId);
      }
    }
  });
});
