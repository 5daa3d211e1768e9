import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startInProcNode, appPath, type InProcNode } from './helpers/inproc.ts';
import { MeroClient, ApiError, RpcError } from '../src/client/index.ts';
import { subscribeSse, subscribeWs, type NodeEvent } from '../src/client/events.ts';

// The typed client and meroctl against a real node with the kv-store app.

let n: InProcNode;
let c: MeroClient;

before(async () => {
  n = await startInProcNode();
  c = new MeroClient({ url: n.url });
});
after(() => n?.stop());

function meroctl(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['bin/meroctl.js', '--node-url', n.url, ...args], { stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test('client: applications, contexts, calls, events, blobs, aliases, errors', async () => {
  assert.deepEqual(await c.health(), { status: 'alive' });
  const appId = await c.installDevApplication({ path: appPath('kv-store'), metadata: { name: 'kv' } });
  assert.equal((await c.getApplication(appId))?.id, appId);
  assert.ok((await c.listApplications()).some((a) => a.id === appId));
  const { contextId, memberPublicKey } = await c.createContext({ applicationId: appId });
  assert.deepEqual(await c.identities(contextId, true), [memberPublicKey]);

  const wsEvents: NodeEvent[] = [];
  const sseEvents: NodeEvent[] = [];
  const ws = await subscribeWs(c, [contextId], (e) => wsEvents.push(e));
  const sse = await subscribeSse(c, [contextId], (e) => sseEvents.push(e));
  assert.equal(await c.execute(contextId, 'set', { key: 'x', value: 'y' }, memberPublicKey), null);
  assert.equal(await c.query(contextId, 'get', { key: 'x' }, memberPublicKey), 'y');
  for (let i = 0; i < 200 && (wsEvents.length === 0 || sseEvents.length === 0); i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(wsEvents[0]?.data.events[0]?.kind, 'Inserted');
  assert.deepEqual(sseEvents[0], wsEvents[0]);
  ws.close();
  sse.close();

  await assert.rejects(c.execute(contextId, 'nope', {}, memberPublicKey), (e: unknown) => e instanceof RpcError && e.type === 'FunctionCallError');
  await assert.rejects(c.getContext('bad'), (e: unknown) => e instanceof ApiError && e.status === 400);
  assert.ok((await c.contextStorage(contextId)) > 0);

  const blob = await c.uploadBlob(new TextEncoder().encode('bytes!'));
  assert.equal(new TextDecoder().decode(await c.downloadBlob(blob.blob_id)), 'bytes!');
  assert.equal((await c.blobInfo(blob.blob_id))?.size, 6);
  await c.deleteBlob(blob.blob_id);
  assert.equal(await c.blobInfo(blob.blob_id), null);

  await c.createAlias('context', 'main', contextId);
  assert.equal(await c.lookupAlias('context', 'main'), contextId);
  assert.deepEqual(await c.listAliases('context'), { main: contextId });
  await c.deleteAlias('context', 'main');
  assert.equal(await c.lookupAlias('context', 'main'), null);

  assert.equal(await c.deleteContext(contextId), true);
  await c.uninstallApplication(appId);
  assert.equal(await c.getApplication(appId), null);
});

test('meroctl: app install/ls, context create/ls, call, watch, delete', async () => {
  const installed = await meroctl('--output', 'json', 'app', 'install', appPath('kv-store'));
  assert.equal(installed.code, 0, installed.stderr);
  const { applicationId } = JSON.parse(installed.stdout);
  assert.match((await meroctl('app', 'ls')).stdout, new RegExp(applicationId));
  const created = JSON.parse((await meroctl('--output', 'json', 'context', 'create', applicationId)).stdout);
  assert.match((await meroctl('context', 'ls')).stdout, new RegExp(created.contextId));

  const watch = spawn(process.execPath, ['bin/meroctl.js', '--node-url', n.url, 'watch', created.contextId], { stdio: 'pipe' });
  let watched = '';
  watch.stdout.on('data', (d) => (watched += d));
  await new Promise<void>((r) => watch.stderr.once('data', () => r()));

  const set = await meroctl('call', created.contextId, 'set', '--args', '{"key":"a","value":"b"}');
  assert.equal(set.code, 0, set.stderr);
  const get = await meroctl('call', created.contextId, 'get', '--args', '{"key":"a"}', '--query');
  assert.equal(JSON.parse(get.stdout), 'b');
  for (let i = 0; i < 300 && !watched.includes('Inserted'); i++) await new Promise((r) => setTimeout(r, 10));
  watch.kill('SIGINT');
  assert.equal(JSON.parse(watched.split('\n')[0]!).data.events[0].kind, 'Inserted');

  const bad = await meroctl('call', created.contextId, 'nope');
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /FunctionCallError/);
  const del = await meroctl('context', 'delete', created.contextId);
  assert.match(del.stdout, /deleted/);
});
