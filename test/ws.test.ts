/**
 * WebSocket `/ws` (docs/events.md, WebSocket) against an in-process node: frames and answers, pushed events, malformed
 * frames, limits, ping/pong, shutdown, and the auth guard.
 */
import '../src/polyfills.ts';
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import WebSocket from 'ws';
import { initNode } from '../src/node/home.ts';
import { loadConfig } from '../src/config/file.ts';
import type { NodeConfig } from '../src/config/schema.ts';
import { Node } from '../src/node/node.ts';
import type { NodeEvent } from '../src/node/events.ts';
import { buildServer, listen, type ServerOptions } from '../src/server/server.ts';
import { HttpError } from '../src/server/errors.ts';
import { encodeId } from '../src/util/ids.ts';
import { freePort } from './helpers/inproc.ts';

interface TestNode {
  node: Node;
  url: string;
  ws: string;
  close(): Promise<void>;
}

async function startNode(configure?: (c: NodeConfig) => void, opts?: ServerOptions): Promise<TestNode> {
  const dir = mkdtempSync(join(tmpdir(), 'merod-ws-'));
  await initNode(dir, { serverHost: ['127.0.0.1'], serverPort: await freePort(), swarmPort: await freePort() });
  const config = await loadConfig(dir);
  configure?.(config);
  const node = await Node.open({ dir, config, logger: pino({ level: 'silent' }) });
  const app = await buildServer(node, opts);
  const l = await listen(node, app);
  let closed: Promise<void> | undefined;
  return {
    node,
    url: l.urls[0]!,
    ws: l.urls[0]!.replace('http', 'ws') + '/ws',
    close: () =>
      (closed ??= (async () => {
        await l.close();
        await node.close();
        rmSync(dir, { recursive: true, force: true });
      })()),
  };
}

const ctxA = encodeId(new Uint8Array(32).fill(1)); // 4vJ9JU1bJJE96FWSJKvHsmmFADCg4gpZQff4P3bkLKi
const ctxB = encodeId(new Uint8Array(32).fill(2));
const root = encodeId(new Uint8Array(32).fill(9));

function event(contextId: string, kind = 'ItemInserted'): NodeEvent {
  return { contextId, type: 'StateMutation', data: { newRoot: root, events: [{ kind, data: [123, 34, 107, 34, 125], handler: null }] } };
}

interface Client {
  ws: WebSocket;
  /** Raw text frames in arrival order. */
  raw: string[];
  frames(): any[];
  next(pred: (f: any) => boolean, ms?: number): Promise<any>;
  send(frame: unknown): void;
  closed: Promise<[number, string]>;
}

async function client(url: string, o: WebSocket.ClientOptions = {}): Promise<Client> {
  const ws = new WebSocket(url, o);
  const raw: string[] = [];
  ws.on('message', (d, isBinary) => {
    if (!isBinary) raw.push(String(d));
  });
  const closed = new Promise<[number, string]>((r) => ws.once('close', (code, why) => r([code, String(why)])));
  await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
  const frames = () => raw.map((t) => JSON.parse(t));
  return {
    ws,
    raw,
    frames,
    async next(pred, ms = 3000) {
      const end = Date.now() + ms;
      for (;;) {
        const f = frames().find(pred);
        if (f) return f;
        if (Date.now() > end) throw new Error(`timed out waiting for a frame (have ${JSON.stringify(raw)})`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    send: (frame) => ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
    closed,
  };
}

/** Status of a refused upgrade (101 when it was accepted), and the refusal's body. */
function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => {
      ws.close();
      resolve({ status: 101, body: '' });
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', reject);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('WebSocket /ws', () => {
  let n: TestNode;
  before(async () => {
    n = await startNode((c) => {
      c.server.limits = { ...c.server.limits!, max_subscriptions_per_client: 3, max_ws_connections: 250 };
    });
  });
  after(() => n?.close());

  test('subscribe / unsubscribe answers echo the requested ids', async () => {
    const c = await client(n.ws);
    c.send({ id: 1, method: 'subscribe', params: { contextIds: [ctxA] } });
    assert.equal((await c.next((f) => f.id === 1)) && c.raw[0], `{"id":1,"result":{"contextIds":["${ctxA}"]}}`);
    // Unsubscribe echoes every requested id, subscribed or not.
    c.send({ id: 2, method: 'unsubscribe', params: { contextIds: [ctxA, ctxB] } });
    assert.deepEqual(await c.next((f) => f.id === 2), { id: 2, result: { contextIds: [ctxA, ctxB] } });
    // No id → answered with "id":null; duplicates are echoed as sent.
    c.send({ method: 'subscribe', params: { contextIds: [ctxB, ctxB] } });
    assert.deepEqual(await c.next((f) => f.id === null), { id: null, result: { contextIds: [ctxB, ctxB] } });
    // A u64 id above 2^53 comes back with its exact digits.
    c.send(`{"id":18446744073709551615,"method":"unsubscribe","params":{"contextIds":[]}}`);
    await c.next((f) => f.result?.contextIds?.length === 0);
    assert.equal(c.raw.at(-1), '{"id":18446744073709551615,"result":{"contextIds":[]}}');
    c.ws.close();
  });

  test('events are pushed only for subscribed contexts, as {"id":null,"result":<event>}', async () => {
    const c = await client(n.ws);
    c.send({ id: 1, method: 'subscribe', params: { contextIds: [ctxA] } });
    await c.next((f) => f.id === 1);
    n.node.events.publish(event(ctxB, 'Other'));
    // The publisher's key order does not matter: the frame is written in upstream's order.
    const e: NodeEvent = { data: { events: [{ handler: null, data: [1, 2], kind: 'Mine' }], newRoot: root }, type: 'StateMutation', contextId: ctxA } as NodeEvent;
    n.node.events.publish(e);
    await c.next((f) => f.id === null && f.result);
    assert.equal(
      c.raw[1],
      `{"id":null,"result":{"contextId":"${ctxA}","type":"StateMutation","data":{"newRoot":"${root}","events":[{"kind":"Mine","data":[1,2],"handler":null}]}}}`,
    );
    c.send({ id: 2, method: 'unsubscribe', params: { contextIds: [ctxA] } });
    await c.next((f) => f.id === 2);
    n.node.events.publish(event(ctxA, 'After'));
    await sleep(50);
    assert.equal(c.raw.length, 3);
    assert.equal(n.node.events.listenerCount(ctxA), 0);
    const metrics = await (await fetch(n.url + '/metrics')).text();
    assert.match(metrics, /^merod_events_delivered_total\{transport="ws"\} [1-9]\d*$/m);
    assert.match(metrics, /^merod_ws_connections_total [1-9]\d*$/m);
    c.ws.close();
  });

  test('malformed frames: bad envelopes are dropped, bad payloads get ParseError in serde words', async () => {
    const c = await client(n.ws);
    for (const dropped of ['not json', '[1,2]', '"text"', 'null', '{"id":"seven","method":"subscribe","params":{"contextIds":[]}}', '{"id":-1,"method":"x"}', '{"id":1.5,"method":"x"}', '{"id":18446744073709551616,"method":"x"}']) {
      c.send(dropped);
    }
    c.ws.send(Buffer.from('{"id":99,"method":"subscribe","params":{"contextIds":[]}}'), { binary: true });
    const cases: Array<[unknown, string]> = [
      [{ id: 3, method: 'explode', params: {} }, 'unknown variant `explode`, expected `subscribe` or `unsubscribe`'],
      [{ id: 4, params: { contextIds: [] } }, 'missing field `method`'],
      [{ id: 5, method: 'subscribe' }, 'missing field `params`'],
      [{ id: 6, method: 'subscribe', params: {} }, 'missing field `contextIds`'],
      [{ id: 7, method: 'unsubscribe', params: { contextIds: 'x' } }, 'invalid type: string "x", expected a sequence'],
      [{ id: 8, method: 'subscribe', params: { contextIds: ['abc'] } }, 'invalid length 3, expected a base58 encoded hash'],
      [{ id: 9, method: 'subscribe', params: null }, 'invalid type: null, expected struct SubscribeRequest'],
      [{ id: 10, method: 5, params: {} }, 'invalid type: integer `5`, expected variant identifier'],
    ];
    for (const [frame] of cases) c.send(frame);
    for (const [frame, message] of cases) {
      const id = (frame as { id: number }).id;
      assert.deepEqual(await c.next((f) => f.id === id), { id, error: { type: 'ParseError', data: message } });
    }
    await sleep(50);
    // Nothing came back for the dropped frames or the binary one.
    assert.deepEqual(c.frames().map((f) => f.id), cases.map(([f]) => (f as { id: number }).id));
    c.ws.close();
  });

  test('per-connection subscription limit: over it the whole request is refused with a ParseError', async () => {
    const c = await client(n.ws);
    const ids = [3, 4, 5, 6].map((b) => encodeId(new Uint8Array(32).fill(b)));
    c.send({ id: 1, method: 'subscribe', params: { contextIds: ids.slice(0, 2) } });
    await c.next((f) => f.id === 1);
    c.send({ id: 2, method: 'subscribe', params: { contextIds: ids.slice(1, 4) } });
    const err = await c.next((f) => f.id === 2);
    assert.equal(err.error.type, 'ParseError');
    assert.match(err.error.data, /^subscription limit reached: at most 3 contexts per connection$/);
    assert.equal(n.node.events.listenerCount(ids[3]!), 0);
    // Re-subscribing known ids does not count twice.
    c.send({ id: 3, method: 'subscribe', params: { contextIds: [ids[0], ids[1], ids[2]] } });
    assert.deepEqual((await c.next((f) => f.id === 3)).result, { contextIds: [ids[0], ids[1], ids[2]] });
    c.ws.close();
    await c.closed;
  });

  test('200 concurrent clients all receive an event; every hub listener is released on close', async () => {
    const clients = await Promise.all(Array.from({ length: 200 }, () => client(n.ws)));
    clients.forEach((c, i) => c.send({ id: i, method: 'subscribe', params: { contextIds: [ctxB] } }));
    await Promise.all(clients.map((c, i) => c.next((f) => f.id === i)));
    assert.equal(n.node.events.listenerCount(ctxB), 200);
    const e = event(ctxB, 'Fanout');
    n.node.events.publish(e);
    const got = await Promise.all(clients.map((c) => c.next((f) => f.id === null && f.result)));
    for (const f of got) assert.deepEqual(f.result, e);
    await Promise.all(clients.map((c) => (c.ws.close(), c.closed)));
    for (let i = 0; i < 100 && n.node.events.listenerCount(ctxB) > 0; i++) await sleep(10);
    assert.equal(n.node.events.listenerCount(ctxB), 0);
  });

  test('client pings are answered with pongs carrying the payload', async () => {
    const c = await client(n.ws);
    const pong = new Promise<string>((r) => c.ws.once('pong', (d) => r(String(d))));
    c.ws.ping('hello');
    assert.equal(await pong, 'hello');
    c.ws.close();
  });

  test('not an upgrade: 400 text; wrong method: 405', async () => {
    const r = await fetch(n.url + '/ws');
    assert.equal(r.status, 400);
    assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(await r.text(), "Invalid WebSocket upgrade request: Connection header did not include 'upgrade'");
    const post = await fetch(n.url + '/ws', { method: 'POST' });
    assert.equal(post.status, 405);
  });
});

describe('WebSocket limits, pings and shutdown', () => {
  test('connections over max_ws_connections are refused with 429 before the upgrade', async () => {
    const n = await startNode((c) => {
      c.server.limits = { ...c.server.limits!, max_ws_connections: 2 };
    });
    try {
      const a = await client(n.ws);
      const b = await client(n.ws);
      const refused = await upgradeStatus(n.ws);
      assert.equal(refused.status, 429);
      assert.equal(refused.body, 'too many WebSocket connections (limit 2)');
      a.ws.close();
      await a.closed;
      await sleep(20);
      assert.equal((await upgradeStatus(n.ws)).status, 101);
      b.ws.close();
    } finally {
      await n.close();
    }
  });

  test('a client that never answers pings is closed with 1002 "Ping timeout"; one that does stays', async () => {
    // Config validation wants ping >= 5 s; the object is lowered before buildServer to keep the test fast.
    const n = await startNode((c) => {
      c.server.websocket!.ping_interval_secs = 0.2;
      c.server.websocket!.pong_timeout_secs = 0.1;
    });
    try {
      const silent = await client(n.ws, { autoPong: false });
      const polite = await client(n.ws);
      let pings = 0;
      silent.ws.on('ping', () => pings++);
      const started = Date.now();
      const [code, reason] = await silent.closed;
      assert.equal(code, 1002);
      assert.equal(reason, 'Ping timeout');
      assert.ok(pings >= 1, 'was pinged before the timeout');
      assert.ok(Date.now() - started < 2000);
      await sleep(600);
      assert.equal(polite.ws.readyState, WebSocket.OPEN, 'a client answering pings is kept');
      polite.ws.close();
    } finally {
      await n.close();
    }
  });

  test('server shutdown closes every socket promptly, even a peer that never answers the close', async () => {
    const n = await startNode();
    const c = await client(n.ws);
    c.send({ id: 1, method: 'subscribe', params: { contextIds: [ctxA] } });
    await c.next((f) => f.id === 1);
    // A raw socket that completes the handshake and then ignores everything.
    const port = Number(new URL(n.url).port);
    const deaf = connect(port, '127.0.0.1');
    await new Promise((r) => deaf.once('connect', r));
    deaf.write(
      'GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    await new Promise((r) => deaf.once('data', r));
    const deafClosed = new Promise((r) => deaf.once('close', r));
    deaf.on('data', () => undefined);
    const started = Date.now();
    await n.close();
    assert.ok(Date.now() - started < 5000, `shutdown took ${Date.now() - started} ms`);
    const [code] = await c.closed;
    assert.ok(code === 1001 || code === 1005 || code === 1006, `close code ${code}`);
    await deafClosed;
    assert.equal(n.node.events.listenerCount(ctxA), 0);
  });

  test('a guard that refuses: the upgrade is answered 401 with an empty body', async () => {
    const n = await startNode(undefined, { guard: async () => ({ ok: false, error: new HttpError(401, '', 'empty') }) });
    try {
      assert.deepEqual(await upgradeStatus(n.ws), { status: 401, body: '' });
      assert.equal((await fetch(n.url + '/ws')).status, 401);
    } finally {
      await n.close();
    }
  });

  test('NODE_PATH_PREFIX moves /ws (as upstream)', async () => {
    process.env.NODE_PATH_PREFIX = '/node1';
    let n: TestNode;
    try {
      n = await startNode();
    } finally {
      delete process.env.NODE_PATH_PREFIX;
    }
    try {
      const c = await client(n.url.replace('http', 'ws') + '/node1/ws');
      c.send({ id: 1, method: 'subscribe', params: { contextIds: [ctxA] } });
      assert.deepEqual(await c.next((f) => f.id === 1), { id: 1, result: { contextIds: [ctxA] } });
      c.ws.close();
    } finally {
      await n.close();
    }
  });
});
