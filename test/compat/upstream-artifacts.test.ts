/**
 * The `commit` artifacts of upstream-built apps (the compatibility corpus) through our runtime and the
 * calimero-storage codec (src/calimero): they decode exactly and re-encode byte for byte, user-owned actions
 * carry calimero-storage's placeholder signature, and once signed another node's copy of the app accepts them
 * in `__calimero_sync_next`, while it refuses unsigned, tampered and replayed ones.
 *
 * Two "nodes" are two RocksDB stores holding the same context, each running the app with its own identity.
 * The corpus is read from ../shared/compat/upstream-apps (or $CALIMERO_COMPAT_APPS), never copied.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { base58 } from '@scure/base';
import { Runtime, type Outcome } from '../../src/runtime/index.ts';
import { Batch, Store } from '../../src/store/store.ts';
import {
  decodeArtifact,
  encodeArtifact,
  needsSignature,
  payloadForSigning,
  signArtifact,
  verifyAction,
  type Action,
  type Artifact,
  type MetadataLayout,
} from '../../src/calimero/index.ts';
import { CORPUS, requireCorpus } from './corpus.ts';

const APPS = ['kv_store', 'sync_test', 'access_control'] as const;
type App = (typeof APPS)[number];

const CONTEXT = new Uint8Array(32).fill(0x5c);
const enc = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));

let runtime: Runtime;
let dir: string;

/** One node's copy of the context: its own store and its own member identity. */
class Node {
  readonly publicKey: Uint8Array;
  constructor(
    readonly store: Store,
    readonly secret: Uint8Array,
  ) {
    this.publicKey = ed25519.getPublicKey(secret);
  }

  /** Runs a method as this node's identity; commits the writes of a successful call. */
  async call(app: App, method: string, input: Uint8Array): Promise<Outcome> {
    const o = await runtime.call({
      moduleId: `compat:${app}`,
      wasm: () => readFile(join(CORPUS, `${app}.wasm`)),
      method,
      input,
      contextId: CONTEXT,
      executorId: this.publicKey,
      host: { storageRead: (k) => this.store.get('state', Buffer.concat([CONTEXT, k])) },
      timeoutMs: 30_000,
    });
    if (!o.error && !(o.returns && 'err' in o.returns)) {
      const b = new Batch();
      for (const w of o.writes.values()) {
        const key = Buffer.concat([CONTEXT, w.key]);
        if (w.value) b.put('state', key, w.value);
        else b.delete('state', key);
      }
      await this.store.commit(b);
    }
    return o;
  }

  /** A mutation that must succeed; returns its artifact. */
  async mutate(app: App, method: string, args: unknown): Promise<Uint8Array> {
    const o = await this.call(app, method, enc(args));
    assert.equal(o.error, null, `${method} failed: ${o.error?.message}`);
    assert.ok(!(o.returns && 'err' in o.returns), `${method} returned an error`);
    return o.artifact;
  }

  async query(app: App, method: string, args: unknown): Promise<unknown> {
    const o = await this.call(app, method, enc(args));
    assert.equal(o.error, null, `${method} failed: ${o.error?.message}`);
    assert.ok(o.returns && 'ok' in o.returns, `${method} returned no value`);
    return JSON.parse(Buffer.from(o.returns.ok).toString('utf8'));
  }

  /** Applies a delta as upstream's receiver does: the app's `__calimero_sync_next`, as this node's identity. */
  syncNext(app: App, artifact: Uint8Array): Promise<Outcome> {
    return this.call(app, '__calimero_sync_next', artifact);
  }
}

async function node(name: string, seed: number): Promise<Node> {
  return new Node(await Store.open(join(dir, name)), new Uint8Array(32).fill(seed));
}

/** Decodes exactly, checks the byte-exact round trip and the layout the app was built with. */
function decodeExact(bytes: Uint8Array, layout: MetadataLayout): Artifact {
  const decoded = decodeArtifact(bytes);
  assert.equal(decoded.layout, layout);
  assert.deepEqual(encodeArtifact(decoded), bytes, 'encode(decode(x)) is x');
  return decoded;
}

const actionsOf = (a: Artifact): Action[] => (a.delta.kind === 'Actions' ? a.delta.actions : []);
const userActions = (a: Artifact) => actionsOf(a).filter((x) => x.kind !== 'Compare' && x.metadata.storageType.kind === 'User');

/** The payloads sync_test's calimero-storage logs while it verifies user actions ("=== payload: [..]"). */
function loggedPayloads(o: Outcome): number[][] {
  return o.logs.flatMap((l) => [...l.matchAll(/payload: \[([\d, ]+)\]/g)].map((m) => m[1]!.split(', ').map(Number)));
}

function assertRefused(o: Outcome, what: string): void {
  assert.ok(o.error, `${what} must make __calimero_sync_next fail`);
  assert.equal(o.writes.size, 0);
}

before(async () => {
  requireCorpus(APPS);
  dir = await mkdtemp(join(tmpdir(), 'compat-artifacts-'));
  runtime = new Runtime({ workers: 1, timeoutMs: 30_000 });
});

after(async () => {
  await runtime?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('every corpus app’s init artifact decodes exactly in the layout of its calimero-storage', async () => {
  const layouts: Record<App, MetadataLayout> = { kv_store: 'plain', sync_test: 'crdt', access_control: 'plain' };
  for (const app of APPS) {
    const a = await node(`init-${app}`, 1);
    const decoded = decodeExact(await a.mutate(app, 'init', {}), layouts[app]);
    assert.ok(actionsOf(decoded).length > 0, `${app}: init creates entities`);
    assert.equal(userActions(decoded).length, 0);
    await a.store.close();
  }
});

test('kv_store: public actions round-trip, need no signature and replicate', async () => {
  const [a, b] = [await node('kv-a', 1), await node('kv-b', 2)];
  assert.equal((await b.syncNext('kv_store', await a.mutate('kv_store', 'init', {}))).error, null);
  const artifact = await a.mutate('kv_store', 'set', { key: 'colour', value: 'teal' });
  const decoded = decodeExact(artifact, 'plain');
  assert.deepEqual(new Set(actionsOf(decoded).map((x) => x.kind !== 'Compare' && x.metadata.storageType.kind)), new Set(['Public']));
  const signed = signArtifact(artifact, a.secret);
  assert.equal(signed.signed, 0);
  assert.equal(signed.artifact, artifact, 'an artifact without user actions is passed on as it is');
  assert.equal((await b.syncNext('kv_store', signed.artifact)).error, null);
  assert.equal(await b.query('kv_store', 'get', { key: 'colour' }), 'teal');
  await a.store.close();
  await b.store.close();
});

test('sync_test: user-owned actions are signed by the executor and verified by the other node', async () => {
  const [a, b] = [await node('user-a', 3), await node('user-b', 4)];
  assert.equal((await b.syncNext('sync_test', await a.mutate('sync_test', 'init', {}))).error, null);

  // A's write: one user-owned action, owned by A, with the all-zero placeholder signature.
  const artifact = await a.mutate('sync_test', 'user_set_simple', { value: 'from A' });
  const decoded = decodeExact(artifact, 'crdt');
  const users = userActions(decoded);
  assert.equal(users.length, 1);
  const placeholder = users[0]!;
  assert.ok(needsSignature(placeholder, a.publicKey), 'owned by the executor, placeholder signature');
  assert.ok(!needsSignature(placeholder, b.publicKey));

  const signed = signArtifact(artifact, a.secret);
  assert.equal(signed.signed, 1);
  assert.equal(signed.layout, 'crdt');
  assert.equal(signed.artifact.length, artifact.length);
  const [signedAction] = userActions(decodeExact(signed.artifact, 'crdt'));
  assert.deepEqual(verifyAction(signedAction!, null), { ok: true });

  // B's copy of the app refuses the unsigned artifact and a tampered one, and keeps its state.
  assertRefused(await b.syncNext('sync_test', artifact), 'the placeholder signature');
  const tampered = structuredClone(decodeExact(signed.artifact, 'crdt'));
  const victim = userActions(tampered)[0]!;
  assert.ok(victim.kind === 'Add' || victim.kind === 'Update');
  victim.data[victim.data.length - 1]! ^= 1;
  assertRefused(await b.syncNext('sync_test', encodeArtifact(tampered)), 'a tampered user action');
  assert.equal(await b.query('sync_test', 'user_get_simple_for', { user_key: base58.encode(a.publicKey) }), null);

  // The signed artifact goes through; the app computed the payload we signed.
  const applied = await b.syncNext('sync_test', signed.artifact);
  assert.equal(applied.error, null, `signed artifact refused: ${applied.error?.message}`);
  assert.deepEqual(loggedPayloads(applied), [[...payloadForSigning(signedAction!)]]);
  assert.equal(await b.query('sync_test', 'user_get_simple_for', { user_key: base58.encode(a.publicKey) }), 'from A');

  // A later write of the same entity is an Update with a fresh nonce; the old delta is now a replay.
  const second = signArtifact(await a.mutate('sync_test', 'user_set_simple', { value: 'again' }), a.secret);
  const [update] = userActions(decodeExact(second.artifact, 'crdt'));
  assert.equal(update!.kind, 'Update');
  assert.equal((await b.syncNext('sync_test', second.artifact)).error, null);
  assert.equal(await b.query('sync_test', 'user_get_simple_for', { user_key: base58.encode(a.publicKey) }), 'again');
  assertRefused(await b.syncNext('sync_test', signed.artifact), 'a replayed user action');

  // And the other way round: B's own user data reaches A, signed with B's key.
  const fromB = signArtifact(await b.mutate('sync_test', 'user_set_simple', { value: 'from B' }), b.secret);
  assert.equal(fromB.signed, 1);
  const forged = decodeExact(await b.mutate('sync_test', 'user_set_kv', { key: 'k', value: 'v' }), 'crdt');
  const [ofB] = userActions(forged);
  assert.ok(ofB && ofB.kind !== 'Compare' && ofB.metadata.storageType.kind === 'User' && ofB.metadata.storageType.signatureData);
  assert.equal(signArtifact(encodeArtifact(forged), a.secret).signed, 0, 'A does not sign B’s actions');
  ofB.metadata.storageType.signatureData.signature = ed25519.sign(payloadForSigning(ofB), a.secret);
  assertRefused(await a.syncNext('sync_test', encodeArtifact(forged)), 'B’s action signed with A’s key');
  assert.equal((await a.syncNext('sync_test', fromB.artifact)).error, null);
  assert.equal(await a.query('sync_test', 'user_get_simple_for', { user_key: base58.encode(b.publicKey) }), 'from B');
  await a.store.close();
  await b.store.close();
});
