/**
 * Uninstalling an application and the blob store (issue #17), through the Admin API of a real node: a blob the
 * user uploaded outlives the applications installed from it; a module the node downloaded for an install is
 * collected with the last application that uses it.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { appPath, call, startInProcNode, type InProcNode } from './helpers/inproc.ts';

describe('uninstall keeps uploaded blobs, collects downloaded modules', () => {
  let n: InProcNode;
  let files: Server;
  let fileUrl = '';
  const wasm = readFileSync(appPath('kv-store'));

  before(async () => {
    // Installs download from a loopback file server: allow non-public install URLs.
    n = await startInProcNode({}, { config: ['server.admin.allow_private_install_urls=true'] });
    files = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/wasm', 'content-length': wasm.length });
      res.end(wasm);
    });
    await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
    fileUrl = `http://127.0.0.1:${(files.address() as { port: number }).port}/kv-store.wasm`;
  });
  after(async () => {
    await new Promise<void>((r) => files.close(() => r()));
    await n?.stop();
  });

  const blobIds = async (): Promise<string[]> => {
    const r = await call(n.url, 'GET', '/admin-api/blobs');
    assert.equal(r.status, 200, r.text);
    return r.json.data.blobs.map((b: { blob_id: string }) => b.blob_id);
  };
  const install = async (url: string, metadata: number[] = []): Promise<string> => {
    const r = await call(n.url, 'POST', '/admin-api/install-application', { url, metadata });
    assert.equal(r.status, 200, r.text);
    return r.json.data.applicationId;
  };
  const uninstall = async (id: string): Promise<void> => {
    const r = await call(n.url, 'DELETE', `/admin-api/applications/${id}`);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { data: { applicationId: id } });
  };
  const bytecodeOf = async (id: string): Promise<string> => {
    const r = await call(n.url, 'GET', `/admin-api/applications/${id}`);
    assert.equal(r.status, 200, r.text);
    return r.json.data.application.blob.bytecode;
  };
  const upload = async (): Promise<string> => {
    const r = await call(n.url, 'PUT', '/admin-api/blobs', new Uint8Array(wasm));
    assert.equal(r.status, 200, r.text);
    return r.json.data.blob_id;
  };
  const deleteBlob = async (id: string) => assert.equal((await call(n.url, 'DELETE', `/admin-api/blobs/${id}`)).status, 200);

  test('an uploaded blob installed from the node\'s own blob URL survives the uninstall', async () => {
    const blobId = await upload();
    const appId = await install(`${n.url}/admin-api/blobs/${blobId}`);
    assert.equal(await bytecodeOf(appId), blobId);
    await uninstall(appId);
    assert.ok((await blobIds()).includes(blobId), 'the uploaded blob is still listed');
    const back = await fetch(`${n.url}/admin-api/blobs/${blobId}`);
    assert.equal(back.status, 200);
    assert.deepEqual(Buffer.from(await back.arrayBuffer()), wasm);
    await deleteBlob(blobId);
    assert.ok(!(await blobIds()).includes(blobId));
  });

  test('a downloaded module goes with the last application that uses it', async () => {
    const a = await install(fileUrl, [1]);
    const b = await install(fileUrl, [2]); // same module, another application id
    assert.notEqual(a, b);
    const blobId = await bytecodeOf(a);
    assert.equal(await bytecodeOf(b), blobId);
    assert.ok((await blobIds()).includes(blobId));
    await uninstall(a);
    assert.ok((await blobIds()).includes(blobId), 'still used by the other application');
    await uninstall(b);
    assert.ok(!(await blobIds()).includes(blobId), 'collected with its last application');
    assert.equal((await fetch(`${n.url}/admin-api/blobs/${blobId}`)).status, 404);
  });

  test('uploading the module of an installed application makes the blob the user\'s', async () => {
    const appId = await install(fileUrl);
    const blobId = await bytecodeOf(appId);
    assert.equal(await upload(), blobId); // same content, same id
    await uninstall(appId);
    assert.ok((await blobIds()).includes(blobId), 'the upload is kept');
    // Installing an upload and uninstalling again does not take it away either.
    await uninstall(await install(fileUrl));
    assert.ok((await blobIds()).includes(blobId));
    await deleteBlob(blobId);
  });
});
