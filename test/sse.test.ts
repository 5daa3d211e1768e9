/**
 * Server-sent events (docs/events.md, SSE) against an in-process node: the stream's exact bytes, subscription
 * bodies and errors, session info, replay on reconnect (ours), persistence across a restart, limits, the
 * keep-alive comment, shutdown and the auth guard.
 */
import '../src/polyfills.ts';
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { initNode } from '../src/node/home.ts';
import { loadConfig } from '../src/config/file.ts';
import type { NodeConfig } from '../src/config/schema.ts';
import { Node } from '../src/node/node.ts';
import type { NodeEvent } from '../src/node/events.ts';
import { buildServer, listen, type Listening, type ServerOptions } from '../src/server/server.ts';
import { HttpError } from '../src/server/errors.ts';
import { sessionKey } from '../src/server/sse/sessions.ts';
import { encodeId } from '../src/util/ids.ts';
import { call, freePort } from './helpers/inproc.ts';

interface TestNode {
  node: Node;
  url: string;
  /** Closes server and node and opens them again on the same home (same port). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

async function startNode(configure?: (c: NodeConfig) => void, opts?: ServerOptions): Promise<TestNode> {
  const dir = mkdtempSync(join(tmpdir(), 'merod-sse-'));
  await initNode(dir, { serverHost: ['127.0.0.1'], serverPort: await freePort(), swarmPort: await freePort() });
  let listening: Listening;
  const open = async () => {
    const config = await loadConfig(dir);
    configure?.(config);
    t.node = await Node.open({ dir, config, logger: pino({ level: 'silent' }) });
    listening = await listen(t.node, await buildServer(t.node, opts));
    t.url = listening.urls[0]!;
  };
  const shut = async () => {
    await listening.close();
    await t.node.close();
  };
  const t: TestNode = {
    node: undefined as unknown as Node,
    url: '',
    async restart() {
      await shut();
      await open();
    },
    async close() {
      await shut();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await open();
  return t;
}

const ctxA = encodeId(new Uint8Array(32).fill(1));
const ctxB = encodeId(new Uint8Array(32).fill(2));
const root = encodeId(new Uint8Array(32).fill(9));

function event(contextId: string, kind = 'ItemInserted'): NodeEvent {
  return { contextId, type: 'StateMutation', data: { newRoot: root, events: [{ kind, data: [123, 125], handler: null }] } };
}
const eventJson = (e: NodeEvent) =>
  `{"contextId":"${e.contextId}","type":"StateMutation","data":{"newRoot":"${root}","events":[{"kind":"${e.data.events[0]!.kind}","data":[123,125],"handler":null}]}}`;

interface Message {
  event?: string;
  id?: string;
  retry?: string;
  data: string;
  comment?: boolean;
}

/** An SSE stream read with fetch, keeping the raw text and the parsed messages. */
interface Sse {
  status: number;
  headers: Headers;
  session: string;
  raw(): string;
  messages(): Message[];
  /** Data messages (no comments). */
  data(): Message[];
  waitFor(n: number, ms?: number): Promise<Message[]>;
  close(): Promise<void>;
  ended: Promise<void>;
}

/**
 * The exact wire text split into messages — deliberately independent of the client's parseSse (which strips the
 * optional space after the colon): these tests pin the bytes the node sends.
 */
function parse(text: string): Message[] {
  const out: Message[] = [];
  const blocks = text.split('\n\n');
  blocks.pop(); // incomplete tail
  for (const block of blocks) {
    const m: Message = { data: '' };
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) {
        m.comment = true;
        continue;
      }
      const c = line.indexOf(':');
      const k = line.slice(0, c);
      const v = line.slice(c + 1);
      if (k === 'data') data.push(v);
      else if (k === 'event' || k === 'id' || k === 'retry') m[k] = v;
    }
    m.data = data.join('\n');
    out.push(m);
  }
  return out;
}

async function openSse(url: string, headers: Record<string, string> = {}): Promise<Sse> {
  const ac = new AbortController();
  const res = await fetch(url + '/sse', { headers, signal: ac.signal });
  let text = '';
  const ended = (async () => {
    const dec = new TextDecoder();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) text += dec.decode(chunk, { stream: true });
    } catch {
      /* aborted */
    }
  })();
  const data = () => parse(text).filter((m) => !m.comment);
  return {
    status: res.status,
    headers: res.headers,
    session: res.headers.get('x-sse-session-id') ?? '',
    raw: () => text,
    messages: () => parse(text),
    data,
    async waitFor(n, ms = 5000) {
      const end = Date.now() + ms;
      while (data().length < n) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${n} SSE messages; have ${JSON.stringify(text)}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      return data();
    },
    async close() {
      ac.abort();
      await ended;
    },
    ended,
  };
}

const sub = (url: string, session: string, method: string, contextIds: unknown) =>
  call(url, 'POST', '/sse/subscription', { id: session, method, params: { contextIds } });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const counterOf = (m: Message) => Number(m.id!.split('-')[1]);

describe('SSE', () => {
  let n: TestNode;
  before(async () => {
    n = await startNode((c) => {
      c.server.limits = { ...c.server.limits!, max_subscriptions_per_client: 3 };
    });
  });
  after(() => n?.close());

  test('GET /sse: headers, then the connect message exactly as upstream', async () => {
    const s = await openSse(n.url);
    assert.equal(s.status, 200);
    assert.equal(s.headers.get('content-type'), 'text/event-stream');
    assert.equal(s.headers.get('cache-control'), 'no-cache');
    assert.equal(s.headers.get('x-sse-reconnect'), 'false');
    assert.equal(s.headers.get('access-control-allow-origin'), '*');
    assert.match(s.session, /^\d+$/);
    await s.waitFor(1);
    assert.equal(
      s.raw(),
      `event:message\nid:${s.session}-0\nretry:3000\ndata:{"type":"connect","session_id":"${s.session}","reconnect":false}\n\n`,
    );
    await s.close();
  });

  test('subscribe, events for subscribed contexts only (ids from 1), unsubscribe', async () => {
    const s = await openSse(n.url);
    await s.waitFor(1);
    const r = await sub(n.url, s.session, 'subscribe', [ctxA]);
    assert.equal(r.status, 200);
    assert.equal(r.text, `{"result":{"status":"subscribed","contexts":["${ctxA}"]}}`);
    n.node.events.publish(event(ctxB, 'Other'));
    const e1 = event(ctxA, 'One');
    const e2 = event(ctxA, 'Two');
    n.node.events.publish(e1);
    n.node.events.publish(e2);
    await s.waitFor(3);
    assert.ok(
      s.raw().endsWith(
        `event:message\nid:${s.session}-1\ndata:{"result":${eventJson(e1)}}\n\n` +
          `event:message\nid:${s.session}-2\ndata:{"result":${eventJson(e2)}}\n\n`,
      ),
      s.raw(),
    );
    const u = await sub(n.url, s.session, 'unsubscribe', [ctxA, ctxB]);
    assert.equal(u.status, 200);
    assert.deepEqual(u.json, { result: { status: 'unsubscribed', unsubscribed: [ctxA], requested: [ctxA, ctxB] } });
    n.node.events.publish(event(ctxA, 'Late'));
    await sleep(50);
    assert.equal(s.data().length, 3);
    assert.equal(n.node.events.listenerCount(ctxA), 0);
    assert.match(await (await fetch(n.url + '/metrics')).text(), /^merod_events_delivered_total\{transport="sse"\} [1-9]\d*$/m);
    await s.close();
  });

  test('POST /sse/subscription errors (docs/events.md, SSE)', async () => {
    const s = await openSse(n.url);
    await s.waitFor(1);
    for (const id of ['abc', '-1', '', '18446744073709551616', '1.5']) {
      const r = await call(n.url, 'POST', '/sse/subscription', { id, method: 'explode', params: {} });
      assert.deepEqual([r.status, r.text], [400, '{"error":"Invalid Session Id"}'], id);
    }
    const missing = await sub(n.url, '12345', 'subscribe', []);
    assert.deepEqual([missing.status, missing.json], [404, { error: 'Session not found. Please reconnect to SSE endpoint first.' }]);
    // Rust's u64 parser takes a leading '+'.
    assert.equal((await sub(n.url, `+${s.session}`, 'subscribe', [])).status, 200);
    const method = await call(n.url, 'POST', '/sse/subscription', { id: s.session, method: 'explode', params: {} });
    assert.deepEqual([method.status, method.json], [400, { error: { type: 'ParseError', data: 'unknown variant `explode`, expected `subscribe` or `unsubscribe`' } }]);
    const badId = await sub(n.url, s.session, 'subscribe', ['0OIl']);
    assert.deepEqual(badId.json, { error: { type: 'ParseError', data: "provided string contained invalid character '0' at byte 0" } });
    const params = await call(n.url, 'POST', '/sse/subscription', { id: s.session, method: 'subscribe', params: [] });
    assert.deepEqual(params.json, { error: { type: 'ParseError', data: 'invalid type: sequence, expected struct ContextIds' } });
    // Envelope errors are axum's plain-Json rejections (text/plain).
    const numeric = await call(n.url, 'POST', '/sse/subscription', { id: 5, method: 'subscribe', params: { contextIds: [] } });
    assert.equal(numeric.status, 422);
    assert.match(numeric.headers.get('content-type') ?? '', /^text\/plain/);
    const noType = await call(n.url, 'POST', '/sse/subscription', '{}', { 'content-type': 'text/plain' });
    assert.equal(noType.status, 415);
    const badJson = await call(n.url, 'POST', '/sse/subscription', '{', { 'content-type': 'application/json' });
    assert.equal(badJson.status, 400);
    // Our limit: at most 3 contexts per session (configured); refused as a whole.
    const ids = [3, 4, 5, 6].map((b) => encodeId(new Uint8Array(32).fill(b)));
    const over = await sub(n.url, s.session, 'subscribe', ids);
    assert.equal(over.status, 429);
    assert.match(over.json.error, /^subscription limit reached: at most 3 contexts per session$/);
    assert.equal(n.node.events.listenerCount(ids[0]!), 0);
    await s.close();
  });

  test('GET /sse/session/:id: active, 404, bad path; the u64 is written with its exact digits', async () => {
    const s = await openSse(n.url);
    await s.waitFor(1);
    await sub(n.url, s.session, 'subscribe', [ctxB]);
    n.node.events.publish(event(ctxB));
    await s.waitFor(2);
    const info = await call(n.url, 'GET', `/sse/session/${s.session}`);
    assert.equal(info.status, 200);
    assert.equal(info.text, `{"result":{"session_id":${s.session},"subscriptions":["${ctxB}"],"event_counter":1,"status":"active"}}`);
    const unknown = await call(n.url, 'GET', '/sse/session/999');
    assert.deepEqual([unknown.status, unknown.text], [404, '{"error":"Session not found"}']);
    const bad = await call(n.url, 'GET', '/sse/session/abc');
    assert.deepEqual([bad.status, bad.text], [400, 'Invalid URL: Cannot parse `abc` to a `u64`']);
    await s.close();
  });

  test('an expired session: 410 on GET, and a reconnect gets a new session', async () => {
    const old = 1234567890123456789n;
    const record = { subscriptions: [ctxA], event_counter: 7, last_activity: Math.floor(Date.now() / 1000) - 86_401 };
    await n.node.store.put('sse', sessionKey(old), JSON.stringify(record));
    const gone = await call(n.url, 'GET', `/sse/session/${old}`);
    assert.deepEqual([gone.status, gone.json], [410, { error: 'Session expired' }]);
    const s = await openSse(n.url, { 'last-event-id': `${old}-7` });
    assert.notEqual(s.session, String(old));
    assert.equal(s.headers.get('x-sse-reconnect'), 'false');
    assert.equal((await s.waitFor(1))[0]!.id, `${s.session}-0`);
    assert.equal((await call(n.url, 'GET', `/sse/session/${old}`)).status, 404);
    await s.close();
  });

  test('reconnect with Last-Event-ID replays the missed events in order, once, with increasing ids', async () => {
    const ctxB = encodeId(new Uint8Array(32).fill(8)); // a context no other session of this node listens to
    const s1 = await openSse(n.url);
    await s1.waitFor(1);
    const session = s1.session;
    await sub(n.url, session, 'subscribe', [ctxB]);
    n.node.events.publish(event(ctxB, 'Seen'));
    const seen = (await s1.waitFor(2))[1]!;
    assert.equal(seen.id, `${session}-1`);
    await s1.close();
    await sleep(30);
    const missed = [event(ctxB, 'Missed1'), event(ctxB, 'Missed2')];
    for (const e of missed) n.node.events.publish(e);

    const s2 = await openSse(n.url, { 'last-event-id': seen.id! });
    assert.equal(s2.session, session);
    assert.equal(s2.headers.get('x-sse-reconnect'), 'true');
    const msgs = await s2.waitFor(3);
    assert.equal(msgs[0]!.id, `${session}-1`, 'the connect message resumes at the client position');
    assert.deepEqual(JSON.parse(msgs[0]!.data), { type: 'connect', session_id: session, reconnect: true });
    assert.deepEqual(msgs.slice(1).map((m) => [m.id, m.data]), missed.map((e, i) => [`${session}-${i + 2}`, `{"result":${eventJson(e)}}`]));

    // A second stream for the same session (the first one still open) replaces it: one forwarder.
    const s3 = await openSse(n.url, { 'last-event-id': `${session}-3` });
    await s3.waitFor(1);
    await s2.ended; // the replaced stream was ended by the server
    n.node.events.publish(event(ctxB, 'Live'));
    const live = (await s3.waitFor(2))[1]!;
    assert.equal(live.id, `${session}-4`);
    await sleep(50);
    assert.equal(s2.data().length, 3, 'nothing more on the replaced stream');
    assert.equal(s3.data().length, 2, 'no duplicate on the new one');
    assert.equal(n.node.events.listenerCount(ctxB), 1, 'one hub listener for the session');
    await s3.close();
  });

  test('a gap larger than the replay buffer: the client gets what is buffered and sees the id jump', async () => {
    const s1 = await openSse(n.url);
    await s1.waitFor(1);
    const session = s1.session;
    const ctx = encodeId(new Uint8Array(32).fill(7));
    await sub(n.url, session, 'subscribe', [ctx]);
    await s1.close();
    await sleep(30);
    for (let i = 0; i < 1005; i++) n.node.events.publish(event(ctx, `E${i}`));
    const s2 = await openSse(n.url, { 'last-event-id': `${session}-0` });
    const msgs = await s2.waitFor(1001);
    const ids = msgs.slice(1).map(counterOf);
    assert.equal(ids[0], 6);
    assert.equal(ids.at(-1), 1005);
    assert.ok(ids.every((v, i) => i === 0 || v === ids[i - 1]! + 1));
    assert.equal(JSON.parse(msgs[1]!.data).result.data.events[0].kind, 'E5');
    await s2.close();
  });

  test('a client that saw a higher id than the session counter moves the counter up (ids never repeat)', async () => {
    const s1 = await openSse(n.url);
    await s1.waitFor(1);
    await sub(n.url, s1.session, 'subscribe', [ctxA]);
    await s1.close();
    const s2 = await openSse(n.url, { 'last-event-id': `${s1.session}-50` });
    await s2.waitFor(1);
    n.node.events.publish(event(ctxA));
    assert.equal((await s2.waitFor(2))[1]!.id, `${s1.session}-51`);
    await s2.close();
  });

  test('HEAD /sse answers the stream headers and makes no session', async () => {
    const r = await fetch(n.url + '/sse', { method: 'HEAD' });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'text/event-stream');
    assert.equal(r.headers.get('x-sse-session-id'), null);
  });
});

describe('SSE persistence, limits, keep-alive, shutdown, guard', () => {
  test('sessions survive a node restart: persisted, buffered meanwhile, resumed with replay', async () => {
    const n = await startNode();
    try {
      const s1 = await openSse(n.url);
      await s1.waitFor(1);
      const session = s1.session;
      await sub(n.url, session, 'subscribe', [ctxA]);
      n.node.events.publish(event(ctxA, 'Before1'));
      n.node.events.publish(event(ctxA, 'Before2'));
      await s1.waitFor(3);
      await s1.close();
      await n.restart();

      const info = await call(n.url, 'GET', `/sse/session/${session}`);
      assert.equal(info.text, `{"result":{"session_id":${session},"subscriptions":["${ctxA}"],"event_counter":2,"status":"persisted"}}`);
      // Upstream: a session is usable for subscriptions only once a client reconnected.
      assert.equal((await sub(n.url, session, 'subscribe', [ctxB])).status, 404);
      // Published after the restart, before the client is back: kept for it.
      const during = event(ctxA, 'WhileAway');
      n.node.events.publish(during);

      const s2 = await openSse(n.url, { 'last-event-id': `${session}-2` });
      assert.equal(s2.session, session);
      assert.equal(s2.headers.get('x-sse-reconnect'), 'true');
      const msgs = await s2.waitFor(2);
      assert.deepEqual([msgs[0]!.id, msgs[1]!.id, msgs[1]!.data], [`${session}-2`, `${session}-3`, `{"result":${eventJson(during)}}`]);
      assert.equal((await call(n.url, 'GET', `/sse/session/${session}`)).json.result.status, 'active');
      assert.equal((await sub(n.url, session, 'subscribe', [ctxB])).status, 200);
      await s2.close();
    } finally {
      await n.close();
    }
  });

  test('max_sse_sessions: detached sessions are unloaded to make room; 429 only when all are live', async () => {
    const n = await startNode((c) => {
      c.server.limits = { ...c.server.limits!, max_sse_sessions: 2 };
    });
    try {
      const a = await openSse(n.url);
      const b = await openSse(n.url);
      await Promise.all([a.waitFor(1), b.waitFor(1)]);
      const refused = await fetch(n.url + '/sse');
      assert.equal(refused.status, 429);
      assert.equal(await refused.text(), 'too many SSE sessions (limit 2)');
      await a.close();
      await sleep(30);
      const c = await openSse(n.url);
      assert.equal(c.status, 200);
      await c.waitFor(1);
      // The unloaded session is still known from the store.
      assert.equal((await call(n.url, 'GET', `/sse/session/${a.session}`)).json.result.status, 'persisted');
      await b.close();
      await c.close();
    } finally {
      await n.close();
    }
  });

  test('keep-alive comment after silence (MEROD_SSE_KEEPALIVE_MS)', async () => {
    process.env.MEROD_SSE_KEEPALIVE_MS = '100';
    let n: TestNode;
    try {
      n = await startNode();
    } finally {
      delete process.env.MEROD_SSE_KEEPALIVE_MS;
    }
    try {
      const s = await openSse(n.url);
      await s.waitFor(1);
      const end = Date.now() + 2000;
      while (!s.raw().includes('\n\n:\n\n') && Date.now() < end) await sleep(10);
      assert.ok(s.raw().endsWith(':\n\n'), JSON.stringify(s.raw()));
      assert.ok(s.messages().some((m) => m.comment));
      await s.close();
    } finally {
      await n.close();
    }
  });

  test('server shutdown ends open streams at once and releases their listeners', async () => {
    const n = await startNode();
    const s = await openSse(n.url);
    await s.waitFor(1);
    await sub(n.url, s.session, 'subscribe', [ctxA]);
    const started = Date.now();
    await n.close();
    await s.ended;
    assert.ok(Date.now() - started < 3000, `shutdown took ${Date.now() - started} ms`);
    assert.equal(n.node.events.listenerCount(ctxA), 0);
  });

  test('a guard that refuses: every SSE route answers 401 with an empty body', async () => {
    const n = await startNode(undefined, { guard: async () => ({ ok: false, error: new HttpError(401, '', 'empty') }) });
    try {
      const stream = await fetch(n.url + '/sse');
      assert.deepEqual([stream.status, await stream.text()], [401, '']);
      const r = await sub(n.url, '1', 'subscribe', []);
      assert.deepEqual([r.status, r.text], [401, '']);
      const info = await call(n.url, 'GET', '/sse/session/1');
      assert.deepEqual([info.status, info.text], [401, '']);
    } finally {
      await n.close();
    }
  });
});
