import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ed25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { base58 } from '@scure/base';
import { MemoryAuthStorage } from '../src/auth/storage.ts';
import {
  AddClientKeyRequestSchema,
  ChallengeStore,
  NodeChallengeSchema,
  WalletError,
  type WalletErrorCode,
  challengeMessageBytes,
  createWalletLogin,
  ethAddressOf,
  ethMessageHash,
  nearPayloadHash,
  nodeSignerFromSeed,
  verifyEthSignature,
  verifyNearSignature,
  type NodeChallenge,
} from '../src/auth/wallet.ts';

// Seed wallet login (merod <= 0.7.0): node challenges, NEAR and MetaMask signatures over them, and the
// root-key/client-key rules. All keys are generated here with @noble/curves.

const CTX = base58.encode(new Uint8Array(32).fill(1)); // "4vJ9JU1bJJE96FWSJKvHsmmFADCg4gpZQff4P3bkLKi"

function nodeSigner() {
  return nodeSignerFromSeed(ed25519.utils.randomSecretKey());
}

function nearWallet() {
  const sk = ed25519.utils.randomSecretKey();
  return { sk, publicKey: `ed25519:${base58.encode(ed25519.getPublicKey(sk))}` };
}

function ethWallet() {
  const sk = secp256k1.utils.randomSecretKey();
  return { sk, address: ethAddressOf(secp256k1.getPublicKey(sk, false)) };
}

/** personal_sign: 65 bytes r‖s‖v with v = 27 + recovery, hex with 0x. */
function ethSign(sk: Uint8Array, message: string): string {
  const rec = secp256k1.sign(ethMessageHash(message), sk, { prehash: false, format: 'recovered' });
  const out = new Uint8Array(65);
  out.set(rec.subarray(1, 65));
  out[64] = 27 + rec[0]!;
  return `0x${Buffer.from(out).toString('hex')}`;
}

function nearBody(ch: NodeChallenge, w: ReturnType<typeof nearWallet>, clientKey: string, opts: { message?: string } = {}) {
  const message = opts.message ?? `calimero login ${ch.nonce}`;
  const recipient = 'calimero';
  const callbackUrl = 'http://127.0.0.1:2428/admin-dashboard/';
  const hash = nearPayloadHash(message, Buffer.from(ch.nonce, 'base64'), recipient, callbackUrl);
  const signature = Buffer.from(ed25519.sign(hash, w.sk)).toString('base64');
  return {
    walletSignature: signature,
    payload: {
      message: {
        contextId: ch.contextId,
        nonce: ch.nonce,
        timestamp: ch.timestamp,
        nodeSignature: ch.nodeSignature,
        message,
        publicKey: clientKey,
      },
      metadata: { recipient, callbackUrl, nonce: ch.nonce },
    },
    walletMetadata: {
      wallet: { type: 'NEAR', networkId: 'testnet' },
      verifyingKey: w.publicKey,
      walletAddress: 'alice.testnet',
    },
    contextId: ch.contextId,
  };
}

function ethBody(ch: NodeChallenge, w: ReturnType<typeof ethWallet>, clientKey: string, signer = w.sk) {
  const message = `Sign in to Calimero. Nonce: ${ch.nonce}`;
  return {
    walletSignature: ethSign(signer, message),
    payload: {
      message: {
        contextId: ch.contextId,
        nonce: ch.nonce,
        timestamp: ch.timestamp,
        nodeSignature: ch.nodeSignature,
        message,
        publicKey: clientKey,
      },
      metadata: {},
    },
    walletMetadata: { wallet: { type: 'ETH', chainId: 1 }, verifyingKey: w.address },
  };
}

async function refused(p: Promise<unknown> | (() => unknown), pattern: RegExp, code: WalletErrorCode = 'rejected') {
  const run = typeof p === 'function' ? Promise.resolve().then(p) : p;
  await assert.rejects(run, (e: unknown) => {
    assert.ok(e instanceof WalletError, `expected WalletError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.match(e.message, pattern);
    return true;
  });
}

describe('signature primitives', () => {
  test("upstream's NEAR test vector", () => {
    const base = {
      nonce: '89qdrkz1egXlJ2wwF1tcZpuFT0LXT4AHhnAnFvG3N/E=',
      message: 'helloworld',
      recipient: 'me',
      callbackUrl: 'http://127.0.0.1:2428/admin/confirm-wallet',
      publicKey: 'ed25519:DxdDEdfg4sARk2YteEvp6KsqUGAgKyCZkYTqrboGWwiV',
    };
    assert.equal(
      verifyNearSignature({
        ...base,
        signature: 'rkBQLYN7xxe1oetSfktrqL5jgVsZWKNvKZJmoZLNh756KIUBseYIzK3Dt17O60aPMl6S17lDnIlLVLOLdi5OCw==',
      }),
      true,
    );
    assert.equal(
      verifyNearSignature({
        ...base,
        signature: 'rkBQLYN7xxe1oetSfktrqL5jgVsZWKNvKZJmoZLNh756KIUBseYIzK3Dt17O60aPMl6S17lDnIlLVsOLdi5OCw==',
      }),
      false,
    );
    assert.equal(verifyNearSignature({ ...base, message: 'other', signature: 'rkBQLYN7xxe1oetSfktrqL5jgVsZWKNvKZJmoZLNh756KIUBseYIzK3Dt17O60aPMl6S17lDnIlLVLOLdi5OCw==' }), false);
    assert.equal(verifyNearSignature({ ...base, signature: 'not base64!' }), false);
  });

  test('Ethereum address derivation and personal_sign recovery', () => {
    const one = new Uint8Array(32);
    one[31] = 1;
    assert.equal(ethAddressOf(secp256k1.getPublicKey(one)), '0x7e5f4552091a69125d5dfcb7b8c2659029395bdf');
    const w = ethWallet();
    const sig = ethSign(w.sk, 'hello');
    assert.equal(verifyEthSignature(w.address.toUpperCase().replace('0X', '0x'), 'hello', sig), true);
    assert.throws(() => verifyEthSignature(w.address, 'hello!', sig), /Public key and account does not match/);
    assert.throws(() => verifyEthSignature(w.address, 'hello', sig.slice(0, -2)), /65 bytes/);
    assert.throws(() => verifyEthSignature(w.address, 'hello', '0xzz'), /Cannot decode signature/);
    // v as 0/1 is accepted too
    const raw = Buffer.from(sig.slice(2), 'hex');
    raw[64] = raw[64]! - 27;
    assert.equal(verifyEthSignature(w.address, 'hello', raw.toString('hex')), true);
  });

  test('challenges are signed by the node key over {nonce,contextId,timestamp}', () => {
    const signer = nodeSigner();
    const store = new ChallengeStore(signer);
    const ch = NodeChallengeSchema.parse(store.issue(CTX));
    assert.equal(Buffer.from(ch.nonce, 'base64').length, 32);
    assert.equal(ch.contextId, CTX);
    assert.ok(Math.abs(ch.timestamp - Date.now() / 1000) < 5);
    const bytes = challengeMessageBytes(ch);
    assert.equal(Buffer.from(bytes).toString(), JSON.stringify({ nonce: ch.nonce, contextId: CTX, timestamp: ch.timestamp }));
    assert.ok(ed25519.verify(Buffer.from(ch.nodeSignature, 'base64'), bytes, signer.publicKey));
    assert.equal(store.issue().contextId, null);
  });
});

describe('add-client-key', () => {
  test('NEAR: the first wallet becomes the root key; the body matches the exported schema', async () => {
    const login = createWalletLogin({ signer: nodeSigner(), storage: new MemoryAuthStorage() });
    const w = nearWallet();
    const { data: ch } = login.requestChallenge({ contextId: CTX });
    const body = nearBody(ch, w, 'client-key-1');
    AddClientKeyRequestSchema.parse(body);
    assert.deepEqual(await login.addClientKey(body), { data: 'Client key stored' });
    const { data } = await login.did();
    assert.equal(data.did.id, 'did:cali');
    assert.equal(data.did.root_keys.length, 1);
    assert.equal(data.did.root_keys[0]!.signing_key, w.publicKey);
    assert.equal(data.did.root_keys[0]!.wallet_address, 'alice.testnet');
    assert.deepEqual(data.did.root_keys[0]!.wallet, { type: 'NEAR', networkId: 'testnet' });
    assert.equal(data.did.client_keys.length, 1);
    assert.equal(data.did.client_keys[0]!.signingKey, 'client-key-1');
    assert.equal(data.did.client_keys[0]!.contextId, CTX);
    // the same root wallet may register more client keys with new challenges
    const { data: ch2 } = login.requestChallenge({});
    await login.addClientKey(nearBody(ch2, w, 'client-key-2'));
    assert.equal((await login.keys.listClientKeys()).length, 2);
    assert.equal((await login.keys.listClientKeys(CTX)).length, 1);
    assert.equal(await login.keys.isClientKey('client-key-2', null), true);
  });

  test('MetaMask (ETH): accepted with a real personal_sign signature', async () => {
    const login = createWalletLogin({ signer: nodeSigner(), storage: new MemoryAuthStorage() });
    const w = ethWallet();
    const { data: ch } = login.requestChallenge(undefined);
    assert.deepEqual(await login.addClientKey(ethBody(ch, w, 'eth-client')), { data: 'Client key stored' });
    const roots = await login.keys.listRootKeys();
    assert.equal(roots[0]!.signing_key, w.address);
    assert.deepEqual(roots[0]!.wallet, { type: 'ETH', chainId: 1 });
    assert.equal(roots[0]!.wallet_address, '');
  });

  test('a wallet that is not a root key is refused once a root key exists', async () => {
    const login = createWalletLogin({ signer: nodeSigner(), storage: new MemoryAuthStorage() });
    await login.addClientKey(nearBody(login.requestChallenge({}).data, nearWallet(), 'a'));
    await refused(login.addClientKey(nearBody(login.requestChallenge({}).data, nearWallet(), 'b')), /already has an administrator/, 'administrator_exists');
    await refused(login.addClientKey(ethBody(login.requestChallenge({}).data, ethWallet(), 'c')), /already has an administrator/, 'administrator_exists');
    // POST root-key (protected route) adds another root key; then that wallet may add client keys
    const second = ethWallet();
    assert.deepEqual(await login.addRootKey(ethBody(login.requestChallenge({}).data, second, 'unused')), { data: 'Root key stored' });
    await login.addClientKey(ethBody(login.requestChallenge({}).data, second, 'd'));
    assert.equal((await login.keys.listRootKeys()).length, 2);
    await login.keys.clear();
    assert.deepEqual(await login.keys.did(), { id: 'did:cali', root_keys: [], client_keys: [] });
  });

  test('forged wallet signatures are refused', async () => {
    const login = createWalletLogin({ signer: nodeSigner(), storage: new MemoryAuthStorage() });
    const w = nearWallet();
    // NEAR: signed by another key than the verifying key
    const ch1 = login.requestChallenge({}).data;
    const forged = nearBody(ch1, nearWallet(), 'x');
    forged.walletMetadata.verifyingKey = w.publicKey;
    await refused(login.addClientKey(forged), /Node signature is invalid\. Please check the signature\./);
    // NEAR: message changed after signing
    const tampered = nearBody(login.requestChallenge({}).data, w, 'x');
    tampered.payload.message.message += '!';
    await refused(login.addClientKey(tampered), /Please check the signature/);
    // NEAR: missing metadata
    const noMeta = nearBody(login.requestChallenge({}).data, w, 'x') as any;
    noMeta.payload.metadata = { recipient: 'calimero' };
    await refused(login.addClientKey(noMeta), /^Invalid metadata\.$/);
    // ETH: signed by a different key
    const e = ethWallet();
    await refused(login.addClientKey(ethBody(login.requestChallenge({}).data, e, 'y', ethWallet().sk)), /does not match/);
    // ETH: signature object instead of string
    const obj = ethBody(login.requestChallenge({}).data, e, 'y') as any;
    obj.walletSignature = { signature: ['1'], messageHash: '0x' };
    await refused(login.addClientKey(obj), /Invalid wallet signature type/);
    // unsupported wallets
    const sn = ethBody(login.requestChallenge({}).data, e, 'y') as any;
    sn.walletMetadata.wallet = { type: 'STARKNET', walletName: 'argentX' };
    await refused(login.addClientKey(sn), /^Unsupported wallet type\.$/);
    // nothing was stored by any of these
    assert.equal((await login.keys.did()).root_keys.length, 0);
  });

  test('challenges must come from this node, intact', async () => {
    const login = createWalletLogin({ signer: nodeSigner(), storage: new MemoryAuthStorage() });
    const other = createWalletLogin({ signer: nodeSigner(), storage: new MemoryAuthStorage() });
    const w = nearWallet();
    // issued (and signed) by another node
    await refused(login.addClientKey(nearBody(other.requestChallenge({}).data, w, 'x')), /^Node signature is invalid\.$/);
    // node signature fine but fields altered
    const ch = login.requestChallenge({}).data;
    await refused(login.addClientKey(nearBody({ ...ch, timestamp: ch.timestamp - 1 }, w, 'x')), /^Node signature is invalid\.$/);
    await refused(login.addClientKey(nearBody({ ...ch, contextId: CTX }, w, 'x')), /^Node signature is invalid\.$/);
    await refused(login.addClientKey(nearBody({ ...ch, nodeSignature: 'not base64' }, w, 'x')), /Failed to decode signature/);
    // a challenge this node signed but never issued (e.g. before a restart) is refused
    const signer = nodeSigner();
    const a = createWalletLogin({ signer, storage: new MemoryAuthStorage() });
    const b = createWalletLogin({ signer, storage: new MemoryAuthStorage() });
    await refused(b.addClientKey(nearBody(a.requestChallenge({}).data, w, 'x')), /not found or already used/);
    // the genuine one still works
    assert.deepEqual(await login.addClientKey(nearBody(ch, w, 'x')), { data: 'Client key stored' });
  });

  test('a challenge is single use: replays are refused', async () => {
    const login = createWalletLogin({ signer: nodeSigner(), storage: new MemoryAuthStorage() });
    const w = ethWallet();
    const body = ethBody(login.requestChallenge({}).data, w, 'client');
    await login.addClientKey(body);
    await refused(login.addClientKey(body), /not found or already used/);
    await refused(login.addRootKey(body), /not found or already used/);
    assert.equal(login.challenges.size, 0);
  });

  test('challenges expire after 15 minutes', async () => {
    let now = 1_700_000_000;
    const login = createWalletLogin({ signer: nodeSigner(), storage: new MemoryAuthStorage(), now: () => now });
    const w = nearWallet();
    const ch = login.requestChallenge({}).data;
    assert.equal(ch.timestamp, now);
    now += 15 * 60 + 1;
    await refused(login.addClientKey(nearBody(ch, w, 'x')), /Challenge is too old\. Please request a new challenge\./);
    // within the window it is fine
    const ch2 = login.requestChallenge({}).data;
    now += 14 * 60;
    assert.deepEqual(await login.addClientKey(nearBody(ch2, w, 'x')), { data: 'Client key stored' });
    // expired challenges are dropped from memory
    login.requestChallenge({});
    now += 16 * 60;
    assert.equal(login.challenges.size, 0);
  });

  test('malformed bodies are 400 WalletErrors', async () => {
    const login = createWalletLogin({ signer: nodeSigner(), storage: new MemoryAuthStorage() });
    await refused(login.addClientKey({}), /Invalid request body/);
    await refused(login.addClientKey(null), /Invalid request body/);
    const body = ethBody(login.requestChallenge({}).data, ethWallet(), 'x') as any;
    body.walletMetadata.wallet = { type: 'NEAR' };
    await refused(login.addClientKey(body), /Invalid request body/);
    body.walletMetadata.wallet = { type: 'ETH', chainId: 1 };
    body.contextId = 'not-a-context';
    await refused(login.addClientKey(body), /invalid context id/);
    await refused(() => login.requestChallenge({ contextId: 'xyz' }), /Invalid request body/);
  });
});
