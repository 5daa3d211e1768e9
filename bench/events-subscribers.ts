import WebSocket from 'ws';
import { Agent, setGlobalDispatcher } from 'undici';
import { createInterface } from 'node:readline';
import { parseSse } from '../src/client/sse-parser.ts';

/**
 * Child process of bench/events.ts (kept out of the node's process so that parsing on the client side does
 * not share the node's event loop). Opens `nWs` WebSocket and `nSse` SSE subscribers to one context, prints
 * `ready`, then for every event records now − the send time carried in the event's payload (`{"t":…}` for
 * hub publishes, kv-store's `{"key","value":<time>}` for mutations).
 *
 * stdin commands: `phase <name>` (later samples go to that phase), `end` (print one JSON line
 * `{"<phase>":{"ws":Summary,"sse":Summary},…}` and exit).
 */
const [url, ctx, nWs, nSse] = process.argv.slice(2) as [string, string, string, string];
setGlobalDispatcher(new Agent({ connections: null, pipelining: 0 }));
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

async function openSse(): Promise<void> {
  const res = await fetch(url + '/sse');
  const session = res.headers.get('x-sse-session-id')!;
  void (async () => {
    for await (const m of parseSse(res.body!)) {
      if (!m.data) continue;
      const msg = JSON.parse(m.data);
      if (msg.result) record('sse', msg.result);
    }
  })().catch(() => undefined);
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

const summary = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
  return { count: s.length, p50: at(0.5), p99: at(0.99), max: s.at(-1) ?? NaN };
};
for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, arg] = line.trim().split(/\s+/);
  if (cmd === 'phase' && arg) {
    current = { ws: [], sse: [] };
    phases.set(arg, current);
  } else if (cmd === 'end') break;
}
const out: Record<string, unknown> = {};
for (const [name, lat] of phases) if (name !== 'setup') out[name] = { ws: summary(lat.ws), sse: summary(lat.sse) };
process.stdout.write(JSON.stringify(out) + '\n', () => process.exit(0));
