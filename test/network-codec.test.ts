import '../src/polyfills.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { newKeypair } from '../src/node/contexts.ts';
import {
  decodeDelta, decodeGossip, decodeInvitation, encodeDelta, encodeGossip, encodeInvitation, encodeSdkArtifact,
  Hlc, makeDelta, parseSdkArtifact, CodecError, decodeRequest, decodeResponse, encodeRequest, encodeResponse,
  type Request, type Response,
} from '../src/node/sync/codec.ts';
import { frame, FrameReader, FrameError, type ReadableMessageStream } from '../src/network/framing.ts';

test('invitation payload: upstream borsh layout (docs/network.md, invitation payload)', () => {
  const payload = encodeInvitation({ contextId: new Uint8Array(32).fill(1), invitee: new Uint8Array(32).fill(2), protocol: 'near', network: 'testnet', contractId: 'calimero.testnet' });
  assert.equal(payload, '4Mb2deLtaS7ApRdhh5ms1GuT2GtGKkKxDMakmd1C3YA2NRYwniNiijac1Nn8NYHVeWoqzvYFpmJMekAeUYKyWpq5j1QaVjpW6r5V86oo3tz6uKx1Hri82LHf8rrs2m2dyjZUZeCaeBEb');
  assert.equal(decodeInvitation(payload).contractId, 'calimero.testnet');
  assert.throws(() => decodeInvitation('0OIl'), CodecError);
  assert.throws(() => decodeInvitation(payload.slice(0, 20)), CodecError);
});

test('deltas: round trip, id over the body, signature by the author; tampering is detected', () => {
  const author = newKeypair();
  const d = makeDelta(
    {
      contextId: new Uint8Array(32).fill(3),
      parents: [new Uint8Array(32).fill(4)],
      hlc: new Hlc().now(),
      author: author.publicKey,
      payload: { type: 'state', ops: { kind: 'writes', writes: [{ key: Buffer.from('k'), value: Buffer.from('v') }, { key: Buffer.from('gone'), value: null }] } },
      events: Buffer.from('[]'),
    },
    author.secret,
  );
  const wire = encodeDelta(d);
  const back = decodeDelta(wire);
  assert.deepEqual(back.id, d.id);
  assert.deepEqual(back.payload, d.payload);
  assert.equal(back.hlc, d.hlc);
  for (const i of [5, 40, wire.length - 70, wire.length - 1]) {
    const bad = Buffer.from(wire);
    bad[i]! ^= 1;
    assert.throws(() => decodeDelta(bad), CodecError, `flip at ${i}`);
  }
  // Another author's signature on the same body.
  const other = newKeypair();
  assert.throws(() => decodeDelta(encodeDelta({ ...d, author: other.publicKey })), /signature/);
  const g = decodeGossip(encodeGossip({ type: 'delta', delta: wire }));
  assert.equal(g.type, 'delta');
  // Upstream BroadcastMessage tags (0..3) are not ours.
  assert.throws(() => decodeGossip(Uint8Array.of(0, 1, 2)), CodecError);
  // A blob announcement (app-blobs.ts): context, blob id and size round-trip; trailing bytes are refused.
  const blob = { type: 'blob' as const, contextId: new Uint8Array(32).fill(3), blobId: new Uint8Array(32).fill(4), size: 5_000_000_000 };
  const raw = encodeGossip(blob);
  const announced = decodeGossip(raw);
  assert.ok(announced.type === 'blob');
  assert.deepEqual([[...announced.contextId], [...announced.blobId], announced.size], [[...blob.contextId], [...blob.blobId], blob.size]);
  assert.throws(() => decodeGossip(Buffer.concat([raw, Buffer.of(0)])), CodecError);
});

test('heads heartbeat: root and heads, and the noisy flag as a trailing byte only when set (docs/network.md §2.2)', () => {
  const base = { type: 'heads' as const, contextId: Buffer.alloc(32, 1), rootHash: Buffer.alloc(32, 2), heads: [Buffer.alloc(32, 3)] };
  const plain = encodeGossip(base);
  assert.deepEqual(decodeGossip(plain), { ...base, noisy: false });
  const noisy = encodeGossip({ ...base, noisy: true });
  assert.equal(noisy.length, plain.length + 1);
  assert.deepEqual(decodeGossip(noisy), { ...base, noisy: true });
  assert.throws(() => decodeGossip(Buffer.concat([plain, Buffer.of(2)])), CodecError);
  assert.throws(() => decodeGossip(Buffer.concat([plain, Buffer.of(1, 0)])), CodecError);
});

test('HLC is strictly increasing and above observed and parent clocks', () => {
  const c = new Hlc();
  const a = c.now();
  assert.ok(c.now() > a);
  c.observe(a + (1n << 40n));
  assert.ok(c.now() > a + (1n << 40n));
  assert.ok(c.now(a + (1n << 50n)) > a + (1n << 50n));
});

test('SDK artifact parse/encode round trip; foreign bytes are not parsed', () => {
  const ops = [{ key: new Uint8Array(32).fill(1), value: Buffer.from('x') }, { key: new Uint8Array(32).fill(2), value: null }];
  const back = parseSdkArtifact(encodeSdkArtifact(ops));
  assert.deepEqual(back?.map((o) => [Buffer.from(o.key).toString('hex'), o.value && Buffer.from(o.value).toString()]), ops.map((o) => [Buffer.from(o.key).toString('hex'), o.value && Buffer.from(o.value).toString()]));
  assert.equal(parseSdkArtifact(Uint8Array.of(0, 1, 2)), null);
  assert.equal(parseSdkArtifact(Uint8Array.of(1, 0, 0, 0, 9)), null);
  const good = encodeSdkArtifact(ops);
  assert.equal(parseSdkArtifact(Buffer.concat([good, Buffer.of(0)])), null, 'trailing bytes');
  assert.equal(parseSdkArtifact(good.subarray(0, good.length - 1)), null, 'truncated');
  const badOp = Buffer.from(good);
  badOp[4] = 3;
  assert.equal(parseSdkArtifact(badOp), null, 'unknown op');
  assert.equal(parseSdkArtifact(Uint8Array.of(255, 255, 255, 255, 1, 0, 0, 0, 0)), null, 'a count the bytes cannot hold');
  assert.deepEqual(parseSdkArtifact(Uint8Array.of(0, 0, 0, 0)), [], 'no changes');
});

/**
 * A stream as libp2p's reader side behaves: data is delivered as 'message' events while readable; while paused it
 * waits in a buffer (libp2p resets the stream past `maxReadBufferLength`; here the most ever held is recorded).
 */
class FakeStream extends EventTarget {
  readStatus = 'readable';
  readBufferLength = 0;
  maxReadBufferLength = 4 * 1024 * 1024;
  held: Buffer[] = [];
  mostHeld = 0;
  pauses = 0;
  deliver(chunk: Uint8Array): void {
    if (this.readStatus === 'paused') {
      this.held.push(Buffer.from(chunk));
      this.readBufferLength += chunk.length;
      this.mostHeld = Math.max(this.mostHeld, this.readBufferLength);
    } else this.dispatchEvent(Object.assign(new Event('message'), { data: chunk }));
  }
  end(): void {
    this.dispatchEvent(new Event('remoteCloseWrite'));
  }
  pause(): void {
    this.readStatus = 'paused';
    this.pauses++;
  }
  resume(): void {
    this.readStatus = 'readable';
    const held = this.held.splice(0);
    this.readBufferLength = 0;
    for (const c of held) this.deliver(c);
  }
}
const reader = (chunks: Uint8Array[], max?: number) => {
  const s = new FakeStream();
  const r = new FrameReader(s as unknown as ReadableMessageStream, max);
  for (const c of chunks) s.deliver(c);
  s.end();
  return r;
};

test('stream framing: u32 big-endian lengths, split across chunks, bounded', async () => {
  const f1 = frame(Buffer.from('hello'));
  assert.deepEqual([...f1.subarray(0, 4)], [0, 0, 0, 5]);
  const bytes = Buffer.concat([f1, frame(Buffer.alloc(0)), frame(Buffer.from('x'.repeat(1000)))]);
  const chunks = [bytes.subarray(0, 2), bytes.subarray(2, 7), bytes.subarray(7, 500), bytes.subarray(500)];
  const r = reader(chunks);
  assert.equal(Buffer.from((await r.next())!).toString(), 'hello');
  assert.equal((await r.next())!.length, 0);
  assert.equal((await r.next())!.length, 1000);
  assert.equal(await r.next(), null);
  await assert.rejects(reader([frame(Buffer.alloc(100))], 50).next(), FrameError);
  await assert.rejects(reader([frame(Buffer.alloc(10)).subarray(0, 8)]).next(), FrameError);
});

test('stream framing: a peer sending faster than frames are read is paused; at most about a frame is held', async () => {
  const s = new FakeStream();
  const r = new FrameReader(s as unknown as ReadableMessageStream, 1024);
  // 1,000 frames of 1 KiB arrive while nobody reads (a handler waiting to send answers the peer does not read).
  for (let i = 0; i < 1000; i++) s.deliver(frame(Buffer.alloc(1000, i % 256)));
  assert.equal(s.readStatus, 'paused');
  assert.equal(s.pauses, 1);
  assert.ok(s.mostHeld >= 990_000, 'the rest waits in the stream (libp2p bounds and resets it), not in the reader');
  // Reading resumes delivery; every frame arrives, in order.
  for (let i = 0; i < 1000; i++) assert.equal((await r.next())![0], i % 256);
  s.end();
  assert.equal(await r.next(), null);
});

test('sync requests and responses round trip, snapshot frames included; unknown tags are refused', () => {
  // Byte fields come back as Buffers: compare them as plain arrays.
  const plain = (v: unknown): unknown =>
    v instanceof Uint8Array ? [...v] : Array.isArray(v) ? v.map(plain) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) : v;
  const auth = { contextId: new Uint8Array(32).fill(1), member: new Uint8Array(32).fill(2), signature: new Uint8Array(64).fill(3) };
  const requests: Request[] = [
    { type: 'heads', auth },
    { type: 'deltas', auth, ids: [new Uint8Array(32).fill(4)] },
    { type: 'blob', auth, blobId: new Uint8Array(32).fill(5) },
    { type: 'snapshot', auth },
  ];
  for (const q of requests) {
    assert.deepEqual(plain(decodeRequest(encodeRequest(q))), plain(q));
  }
  const records = [{ key: Uint8Array.of(0), value: new Uint8Array(Buffer.from('{"m":1}')) }, { key: new Uint8Array(33), value: new Uint8Array(0) }];
  const meta = { rootHash: new Uint8Array(32).fill(6), heads: [new Uint8Array(32).fill(7)], applicationId: new Uint8Array(32).fill(8), stateSum: 'ff01', sizeInBytes: 12345 };
  const responses: Response[] = [
    { type: 'records', column: 'config', records },
    { type: 'records', column: 'delta', records: [] },
    { type: 'snapshotEnd', meta },
    { type: 'error', message: 'no' },
  ];
  for (const r of responses) {
    assert.deepEqual(plain(decodeResponse(encodeResponse(r))), plain(r));
  }
  assert.throws(() => decodeResponse(Uint8Array.of(9)), CodecError);
  assert.throws(() => decodeResponse(Uint8Array.of(4, 7, 0, 0, 0, 0)), /unknown snapshot column/);
  assert.throws(() => decodeRequest(new Uint8Array(129).fill(4)), CodecError);
});
