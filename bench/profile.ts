/**
 * A fixed load for the CPU profiler: one in-process node, one client, `PROFILE_CALLS` sequential JSON-RPC
 * `execute` calls of kv-store `get` (or `PROFILE_METHOD=set`). Run it under the profiler, e.g.
 *   MEROD_MDNS=0 node --cpu-prof --cpu-prof-dir=prof --import tsx bench/profile.ts
 * (one .cpuprofile per thread: the main thread and each runtime worker). See docs/performance.md.
 */
import { Agent, request } from 'node:http';
import { startInProcNode, appPath, call } from '../test/helpers/inproc.ts';

const CALLS = Number(process.env.PROFILE_CALLS ?? 2000);
const METHOD = process.env.PROFILE_METHOD ?? 'get';
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function post(url: string, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request({ agent, host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', reject);
    req.end(body);
  });
}

const n = await startInProcNode();
try {
  const app = (await call(n.url, 'POST', '/admin-api/install-dev-application', { path: appPath('kv-store'), metadata: [] })).json.data.applicationId;
  const ctx = (await call(n.url, 'POST', '/admin-api/contexts', { protocol: 'near', applicationId: app, initializationParams: [] })).json.data;
  const body = (method: string, args: unknown) =>
    JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'execute', params: { contextId: ctx.contextId, method, argsJson: args, executorPublicKey: ctx.memberPublicKey } });
  await post(`${n.url}/jsonrpc`, body('set', { key: 'k', value: 'v' }));
  const b = METHOD === 'set' ? body('set', { key: 'k', value: 'v2' }) : body('get', { key: 'k' });
  const t0 = performance.now();
  for (let i = 0; i < CALLS; i++) await post(`${n.url}/jsonrpc`, b);
  console.log(`${CALLS} sequential execute ${METHOD}: ${(((performance.now() - t0) / CALLS) * 1000).toFixed(0)} µs per call`);
} finally {
  await n.stop();
  agent.destroy();
}
