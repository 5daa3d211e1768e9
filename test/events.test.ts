import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startInProcNode, call, type InProcNode } from './helpers/inproc.ts';
import { openSse } from './helpers/sse.ts';
import { encodeId } from '../src/util/ids.ts';
import type { NodeEvent } from '../src/node/events.ts';

// WebSocket (docs/events.md, WebSocket) and SSE wire behaviour, with events published on the node's hub.

let n: InProcNode;
const ctxA = encodeId(new Uint8Array(32).fill(1));
const ctxB = encodeId(new Uint8Array(32).fill(2));
const root = encodeId(new Uint8Array(32).fill(9));

function publish(contextId: string, kind = 'Inserted'): NodeEvent {
  const e: NodeEvent = { contextId, type: 'StateMutation', data: { newRoot: root, events: [{ kind, data: [123, 125], handler: null }] } };
  n.running.node.events.publish(e);
  return e;
}

async function connectWs(): Promise<{ ws: WebSocket; frames: any[]; next(pred: (f: any) => boolean, ms?: number): Promise<any> }> {
  const ws = new WebSocket(n.url.replace('http', 'ws') + '/ws');
  await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
  const frames: any[] = [];
  ws.on('message', (d) => frames.push(JSON.parse(String(d))));
  return {
    ws,
    frames,
    async next(pred, ms = 3000) {
      const end = Date.now() + ms;
      for (;;) {
        const f = frames.find(pred);
        if (f) return f;
        if (Date.now() > end) throw new Error('timed out waiting for a frame');
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
}

before(async () => {
  n = await startInProcNode();
});
after(() => n?.stop());

describe('WebSocket /ws', () => {
  test('subscribe and unsubscribe answer with the requested ids; events only for subscribed contexts', async () => {
    const c = await connectWs();
    c.ws.send(JSON.stringify({ id: 1, method: 'subscribe', params: { contextIds: [ctxA] } }));
    assert.deepEqual(await c.next((f) => f.id === 1), { id: 1, result: { contextIds: [ctxA] } });
    publish(ctxB);
    const e = publish(ctxA);
    assert.deepEqual(await c.next((f) => f.id === null), { id: null, result: e });
    assert.equal(c.frames.filter((f) => f.id === null).length, 1);
    c.ws.send(JSON.stringify({ id: 2, method: 'unsubscribe', params: { contextIds: [ctxA, ctxB] } }));
    assert.deepEqual(await c.next((f) => f.id === 2), { id: 2, result: { contextIds: [ctxA, ctxB] } });
    publish(ctxA);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(c.frames.filter((f) => f.id === null).length, 1);
    // A request without id is answered with id null.
    c.ws.send(JSON.stringify({ method: 'subscribe', params: { contextIds: [ctxB] } }));
    assert.deepEqual(await c.next((f) => f.id === null && f.result?.contextIds), { id: null, result: { contextIds: [ctxB] } });
    c.ws.close();
  });

  test('malformed frames: unparseable envelopes are dropped, bad payloads get ParseError', async () => {
    const c = await connectWs();
    c.ws.send('not json');
    c.ws.send(JSON.stringify({ id: 'seven', method: 'subscribe', params: { contextIds: [] } }));
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    c.ws.send(JSON.stringify({ id: 3, method: 'explode', params: {} }));
    const err = await c.next((f) => f.id === 3);
    assert.equal(err.error.type, 'ParseError');
    assert.match(err.error.data, /unknown variant `explode`/);
    c.ws.send(JSON.stringify({ id: 4, method: 'subscribe', params: { contextIds: ['bad id'] } }));
    assert.equal((await c.next((f) => f.id === 4)).error.type, 'ParseError');
    // Nothing came back for the dropped frames.
    assert.deepEqual(c.frames.map((f) => f.id), [3, 4]);
    c.ws.close();
  });

  test('200 concurrent connections all receive an event; subscriptions are released on close', async () => {
    const clients = await Promise.all(Array.from({ length: 200 }, () => connectWs()));
    for (const [i, c] of clients.entries()) c.ws.send(JSON.stringify({ id: i, method: 'subscribe', params: { contextIds: [ctxB] } }));
    await Promise.all(clients.map((c, i) => c.next((f) => f.id === i)));
    const before = n.running.node.events.listenerCount(ctxB);
    assert.ok(before >= 200);
    const e = publish(ctxB, 'Fanout');
    await Promise.all(clients.map((c) => c.next((f) => f.id === null && f.result.data.events[0].kind === 'Fanout')));
    for (const c of clients) assert.deepEqual(c.frames.find((f) => f.id === null && f.result.data.events[0].kind === 'Fanout').result, e);
    await Promise.all(clients.map((c) => new Promise((r) => (c.ws.once('close', r), c.ws.close()))));
    for (let i = 0; i < 100 && n.running.node.events.listenerCount(ctxB) > before - 200; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(n.running.node.events.listenerCount(ctxB), before - 200);
  });

  test('client pings are answered with pongs', async () => {
    const c = await connectWs();
    const pong = new Promise((r) => c.ws.once('pong', r));
    c.ws.ping();
    await pong;
    c.ws.close();
  });
});

describe('SSE /sse', () => {
  test('connect event first, then events for subscribed contexts with increasing ids', async () => {
    const s = await openSse(n.url + '/sse');
    assert.equal(s.status, 200);
    assert.equal(s.headers.get('content-type'), 'text/event-stream');
    assert.equal(s.headers.get('cache-control'), 'no-cache');
    assert.equal(s.headers.get('x-sse-reconnect'), 'false');
    const [connect] = await s.waitFor(1);
    const session = s.headers.get('x-sse-session-id')!;
    assert.equal(connect!.event, 'message');
    assert.equal(connect!.id, `${session}-0`);
    assert.equal(connect!.retry, '3000');
    assert.deepEqual(JSON.parse(connect!.data), { type: 'connect', session_id: session, reconnect: false });

    const sub = await call(n.url, 'POST', '/sse/subscription', { id: session, method: 'subscribe', params: { contextIds: [ctxA] } });
    assert.deepEqual(sub.json, { result: { status: 'subscribed', contexts: [ctxA] } });
    publish(ctxB);
    const e1 = publish(ctxA);
    const e2 = publish(ctxA, 'Updated');
    const msgs = await s.waitFor(3);
    assert.deepEqual(msgs.slice(1).map((m) => [m.event, m.id, JSON.parse(m.data)]), [
      ['message', `${session}-1`, { result: e1 }],
      ['message', `${session}-2`, { result: e2 }],
    ]);
    const info = await call(n.url, 'GET', `/sse/session/${session}`);
    assert.equal(info.status, 200);
    assert.match(info.text, new RegExp(`"session_id":${session}[,}]`));
    assert.deepEqual(info.json.result.subscriptions, [ctxA]);
    assert.equal(info.json.result.event_counter, 2);
    assert.equal(info.json.result.status, 'active');
    const unsub = await call(n.url, 'POST', '/sse/subscription', { id: session, method: 'unsubscribe', params: { contextIds: [ctxA, ctxB] } });
    assert.deepEqual(unsub.json, { result: { status: 'unsubscribed', unsubscribed: [ctxA], requested: [ctxA, ctxB] } });
    s.close();
  });

  test('subscription and session errors (docs/events.md, SSE)', async () => {
    const bad = await call(n.url, 'POST', '/sse/subscription', { id: 'abc', method: 'subscribe', params: { contextIds: [] } });
    assert.deepEqual([bad.status, bad.json], [400, { error: 'Invalid Session Id' }]);
    const missing = await call(n.url, 'POST', '/sse/subscription', { id: '12345', method: 'subscribe', params: { contextIds: [] } });
    assert.deepEqual([missing.status, missing.json], [404, { error: 'Session not found. Please reconnect to SSE endpoint first.' }]);
    const s = await openSse(n.url + '/sse');
    await s.waitFor(1);
    const session = s.headers.get('x-sse-session-id')!;
    const method = await call(n.url, 'POST', '/sse/subscription', { id: session, method: 'explode', params: {} });
    assert.equal(method.status, 400);
    assert.equal(method.json.error.type, 'ParseError');
    const numericId = await call(n.url, 'POST', '/sse/subscription', { id: 5, method: 'subscribe', params: { contextIds: [] } });
    assert.equal(numericId.status, 422);
    assert.equal((await call(n.url, 'GET', '/sse/session/999')).status, 404);
    assert.equal((await call(n.url, 'GET', '/sse/session/notanumber')).status, 400);
    s.close();
  });

  test('reconnect with Last-Event-ID resumes the session and replays missed events exactly once', async () => {
    const s1 = await openSse(n.url + '/sse');
    await s1.waitFor(1);
    const session = s1.headers.get('x-sse-session-id')!;
    await call(n.url, 'POST', '/sse/subscription', { id: session, method: 'subscribe', params: { contextIds: [ctxB] } });
    publish(ctxB, 'Seen');
    const seen = (await s1.waitFor(2))[1]!;
    s1.close();
    await s1.done;
    await new Promise((r) => setTimeout(r, 50));
    const missed = [publish(ctxB, 'Missed1'), publish(ctxB, 'Missed2')];

    const s2 = await openSse(n.url + '/sse', { 'last-event-id': seen.id! });
    assert.equal(s2.headers.get('x-sse-session-id'), session);
    assert.equal(s2.headers.get('x-sse-reconnect'), 'true');
    const msgs = await s2.waitFor(3);
    assert.deepEqual(JSON.parse(msgs[0]!.data), { type: 'connect', session_id: session, reconnect: true });
    assert.deepEqual(msgs.slice(1).map((m) => JSON.parse(m.data).result), missed);
    const after = publish(ctxB, 'After');
    const all = await s2.waitFor(4);
    assert.deepEqual(JSON.parse(all[3]!.data).result, after);
    // Ids strictly increase across the reconnect; nothing is delivered twice.
    const ids = [seen, ...all.slice(1)].map((m) => Number(m.id!.split('-')[1]));
    assert.deepEqual(ids, [1, 2, 3, 4]);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(s2.messages.filter((m) => !m.comment).length, 4);
    s2.close();
  });

  test('sessions survive a node restart and can be resumed', async () => {
    const s1 = await openSse(n.url + '/sse');
    await s1.waitFor(1);
    const session = s1.headers.get('x-sse-session-id')!;
    await call(n.url, 'POST', '/sse/subscription', { id: session, method: 'subscribe', params: { contextIds: [ctxA] } });
    s1.close();
    await n.restart();
    const persisted = await call(n.url, 'GET', `/sse/session/${session}`);
    assert.equal(persisted.json.result.status, 'persisted');
    assert.deepEqual(persisted.json.result.subscriptions, [ctxA]);
    const s2 = await openSse(n.url + '/sse', { 'last-event-id': `${session}-0` });
    await s2.waitFor(1);
    assert.equal(s2.headers.get('x-sse-session-id'), session);
    const e = publish(ctxA, 'AfterRestart');
    const msgs = await s2.waitFor(2);
    assert.deepEqual(JSON.parse(msgs[1]!.data).result, e);
    s2.close();
  });
});

describe('WebSocket ping timeout', () => {
  test('a client that never answers pings is closed with 1002 "Ping timeout"', async () => {
    const m = await startInProcNode({}, { config: ['server.websocket.ping_interval_secs=5', 'server.websocket.pong_timeout_secs=1'] });
    try {
      const ws = new WebSocket(m.url.replace('http', 'ws') + '/ws', { autoPong: false });
      await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
      let pings = 0;
      ws.on('ping', () => pings++);
      const [code, reason] = await new Promise<[number, string]>((r) => ws.once('close', (c, why) => r([c, String(why)])));
      assert.equal(code, 1002);
      assert.equal(reason, 'Ping timeout');
      assert.ok(pings >= 1);
    } finally {
      await m.stop();
    }
  });
});
