import WebSocket from 'ws';
import { Agent, setGlobalDispatcher } from 'undici';
import { parseSse } from '../src/client/sse-parser.ts';

/**
 * Child process of bench/events.ts: opens many WS and SSE subscribers to one context, prints `ready`, then
 * records for every event the delay between the timestamp carried in the event (set by the sender just
 * before its request) and the moment it arrived. On stdin EOF it prints count/p50/p99/max per transport.
 */
const [url, ctx, nWs, nSse] = process.argv.slice(2) as [string, string, string, string];
setGlobalDispatcher(new Agent({ connections: null, pipelining: 0 }));
const now = () => performance.timeOrigin + performance.now();
const lat: { ws: number[]; sse: number[] } = { ws: [], sse: [] };

function record(kind: 'ws' | 'sse', event: { data: { events: Array<{ data: number[] }> } }) {
  const t = now();
  for (const e of event.data.events) {
    const payload = JSON.parse(Buffer.from(e.data).toString());
    lat[kind].push(t - Number(payload.value));
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
  const reader = (async () => {
    for await (const m of parseSse(res.body!)) {
      if (!m.data) continue;
      const msg = JSON.parse(m.data);
      if (msg.result) record('sse', msg.result);
    }
  })();
  void reader.catch(() => undefined);
  const r = await fetch(url + '/sse/subscription', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id: session, method: 'subscribe', params: { contextIds: [ctx] } }),
  });
  if (!r.ok) throw new Error(`subscribe failed: ${r.status} ${await r.text()}`);
}

for (let i = 0; i < Number(nWs); i += 50) await Promise.all(Array.from({ length: Math.min(50, Number(nWs) - i) }, openWs));
for (let i = 0; i < Number(nSse); i += 50) await Promise.all(Array.from({ length: Math.min(50, Number(nSse) - i) }, openSse));
process.stdout.write('ready\n');
process.stdin.resume();
process.stdin.on('end', () => {
  const summary = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
    return { count: s.length, p50: at(0.5), p99: at(0.99), max: s.at(-1) ?? NaN };
  };
  process.stdout.write(JSON.stringify({ ws: summary(lat.ws), sse: summary(lat.sse) }) + '\n', () => process.exit(0));
});
