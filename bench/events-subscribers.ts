import WebSocket from 'ws';
import { Agent, request } from 'node:http';
import { createInterface } from 'node:readline';

/**
 * Child process of bench/events.ts (kept out of the node's process so that parsing on the client side does
 * not share the node's event loop). Opens `nWs` WebSocket and `nSse` SSE subscribers to one context, prints
 * `ready`, then for every event records now − the send time carried in the event's payload (`{"t":…}` for
 * hub publishes, kv-store's `{"key","value":<time>}` for mutations).
 *
 * stdin commands: `phase <name>` (later samples go to that phase), `end` (print one JSON line
 * `{"<phase>":{"ws":number[],"sse":number[]},…}` of every latency in ms, and exit). bench/events.ts spreads the
 * subscribers over several such processes and merges their samples.
 *
 * The SSE side reads with node:http and splits messages itself (no web streams): the bench measures the node's
 * fan-out, so the client's own cost per message is kept small (src/client/sse-parser.ts is tested elsewhere).
 */
const [url, ctx, nWs, nSse] = process.argv.slice(2) as [string, string, string, string];
const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
const now = () => performance.timeOrigin + performance.now();
const phases = new Map<string, { ws: number[]; sse: number[] }>();
let current = { ws: [] as number[], sse: [] as number[] };
phases.set('setup', current);

function record(kind: 'ws' | 'sse', event: { data: { events: Array<{ data: number[] }> } }) {
  const t = now();
  for (const e of event.data.events) {
    const payload = JSON.parse(Buffer.from(e.data).toString()) as { t?: number; value?: string };
    current[kind].push(t - Number(payload.t ?? payload.value));
  }
}

async function openWs(): Promise<void> {
  const ws = new WebSocket(url.replace('http', 'ws') + '/ws');
  await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
  await new Promise<void>((resolve) => {
    ws.on('message', (d) => {
      const f = JSON.parse(String(d));
      if (f.id === 1) resolve();
      else if (f.id === null) record('ws', f.result);
    });
    ws.send(JSON.stringify({ id: 1, method: 'subscribe', params: { contextIds: [ctx] } }));
  });
}

function get(path: string): Promise<import('node:http').IncomingMessage> {
  return new Promise((resolve, reject) => request(url + path, { agent }, resolve).on('error', reject).end());
}

async function openSse(): Promise<void> {
  const res = await get('/sse');
  const session = res.headers['x-sse-session-id'] as string;
  let pending = '';
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    pending += chunk;
    let end: number;
    while ((end = pending.indexOf('\n\n')) >= 0) {
      const block = pending.slice(0, end);
      pending = pending.slice(end + 2);
      const at = block.indexOf('\ndata:');
      if (at < 0) continue;
      const msg = JSON.parse(block.slice(at + 6));
      if (msg.result) record('sse', msg.result);
    }
  });
  const r = await fetch(url + '/sse/subscription', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id: session, method: 'subscribe', params: { contextIds: [ctx] } }),
  });
  if (!r.ok) throw new Error(`subscribe failed: ${r.status} ${await r.text()}`);
}

const batch = async (n: number, open: () => Promise<void>) => {
  for (let i = 0; i < n; i += 50) await Promise.all(Array.from({ length: Math.min(50, n - i) }, open));
};
await batch(Number(nWs), openWs);
await batch(Number(nSse), openSse);
process.stdout.write('ready\n');

for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, arg] = line.trim().split(/\s+/);
  if (cmd === 'phase' && arg) {
    current = { ws: [], sse: [] };
    phases.set(arg, current);
  } else if (cmd === 'end') break;
}
const out: Record<string, unknown> = {};
for (const [name, lat] of phases) if (name !== 'setup') out[name] = { ws: lat.ws.map((x) => Math.round(x * 100) / 100), sse: lat.sse.map((x) => Math.round(x * 100) / 100) };
process.stdout.write(JSON.stringify(out) + '\n', () => process.exit(0));
