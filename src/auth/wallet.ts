import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ed25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { base58 } from '@scure/base';
import { isId } from '../util/ids.ts';
import { type AuthStorage, Mutex, getJson, setJson } from './storage.ts';

/**
 * Wallet login of the seed API (merod ≤ 0.7.0): `POST /admin-api/request-challenge`,
 * `POST /admin-api/add-client-key`, `POST /admin-api/root-key`, `GET|DELETE /admin-api/did`,
 * `DELETE /admin-api/identity/keys`. Pure verification functions, a challenge store and a small key store;
 * the node mounts the routes. Supported wallets: NEAR (ed25519 over the NEP-413-style borsh payload) and
 * ETH/MetaMask (secp256k1 `personal_sign` with address recovery). STARKNET and ICP parse but are refused
 * with "Unsupported wallet type." (they need network calls upstream).
 */

// ---------------------------------------------------------------------------------------------------------
// schemas (upstream primitives/identity.rs + server/primitives/admin.rs at 0.7.0)

const contextIdSchema = z.string().refine(isId, 'invalid context id: expected a base58 encoded 32-byte hash');

/** `WalletType`: `{"type":"NEAR","networkId":"testnet"}` | `{"type":"ETH","chainId":1}` | STARKNET | ICP. */
export const WalletTypeSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('NEAR'), networkId: z.string() }),
  z.object({ type: z.literal('ETH'), chainId: z.number().int().nonnegative() }),
  z.object({ type: z.literal('STARKNET'), walletName: z.string() }),
  z.object({ type: z.literal('ICP'), canisterId: z.string(), walletName: z.string() }),
]);
export type WalletType = z.infer<typeof WalletTypeSchema>;

/** `POST /admin-api/request-challenge` body. */
export const RequestChallengeSchema = z.object({ contextId: contextIdSchema.nullish() });
export type RequestChallenge = z.infer<typeof RequestChallengeSchema>;

/** The signed part of a challenge, serialised in this key order for the node signature. */
export const NodeChallengeMessageSchema = z.object({
  nonce: z.string(),
  contextId: contextIdSchema.nullable(),
  timestamp: z.number().int(),
});
export type NodeChallengeMessage = z.infer<typeof NodeChallengeMessageSchema>;

/** `request-challenge` answer `data`: the message plus `nodeSignature` (base64 ed25519 by the node key). */
export const NodeChallengeSchema = NodeChallengeMessageSchema.extend({ nodeSignature: z.string() });
export type NodeChallenge = z.infer<typeof NodeChallengeSchema>;

export const SignatureMessageSchema = z.object({
  contextId: contextIdSchema.nullish(),
  nonce: z.string(),
  timestamp: z.number().int(),
  nodeSignature: z.string(),
  message: z.string(),
  publicKey: z.string(),
});
export type SignatureMessage = z.infer<typeof SignatureMessageSchema>;

/** NEAR `payload.metadata` (the parameters of the wallet's `signMessage`). */
export const NearSignatureMessageMetadataSchema = z.object({
  recipient: z.string(),
  callbackUrl: z.string(),
  nonce: z.string(),
});
export const EthSignatureMessageMetadataSchema = z.object({}).loose();

export const StarknetPayloadSchema = z.object({ signature: z.array(z.string()), messageHash: z.string() });
/** `walletSignature`: a string (NEAR base64, ETH hex) or a Starknet `{signature, messageHash}` object. */
export const WalletSignatureSchema = z.union([z.string(), StarknetPayloadSchema]);

export const WalletMetadataSchema = z.object({
  wallet: WalletTypeSchema,
  verifyingKey: z.string().min(1),
  walletAddress: z.string().nullish(),
  networkMetadata: z.object({ chainId: z.string(), rpcUrl: z.string() }).nullish(),
});
export type WalletMetadata = z.infer<typeof WalletMetadataSchema>;

/** Body of `add-client-key` and `root-key` (upstream `IntermediateAddPublicKeyRequest`). */
export const AddPublicKeyRequestSchema = z.object({
  walletSignature: WalletSignatureSchema,
  payload: z.object({ message: SignatureMessageSchema, metadata: z.unknown() }),
  walletMetadata: WalletMetadataSchema,
  contextId: contextIdSchema.nullish(),
});
export type AddPublicKeyRequest = z.infer<typeof AddPublicKeyRequestSchema>;
export const AddClientKeyRequestSchema = AddPublicKeyRequestSchema;
export const RootKeyRequestSchema = AddPublicKeyRequestSchema;

/** A refusal: status 400 with upstream's message (the node answers `{"error": message}`). */
export class WalletError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 401 | 403 | 500 = 400,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------------------
// node challenge

/** Signs with the node identity (its libp2p ed25519 key). */
export interface NodeSigner {
  /** 32-byte ed25519 public key. */
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

export function nodeSignerFromSeed(seed: Uint8Array): NodeSigner {
  if (seed.length !== 32) throw new Error('expected a 32-byte ed25519 secret key');
  const sk = new Uint8Array(seed);
  return { publicKey: ed25519.getPublicKey(sk), sign: (m) => ed25519.sign(m, sk) };
}

const te = new TextEncoder();
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

/** The exact bytes the node signs: compact JSON `{"nonce":…,"contextId":…,"timestamp":…}`. */
export function challengeMessageBytes(m: NodeChallengeMessage): Uint8Array {
  return te.encode(JSON.stringify({ nonce: m.nonce, contextId: m.contextId ?? null, timestamp: m.timestamp }));
}

function decodeBase64Strict(s: string): Uint8Array | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) return null;
  return new Uint8Array(Buffer.from(s, 'base64'));
}

export function verifyNodeSignature(m: NodeChallengeMessage, signatureB64: string, nodePublicKey: Uint8Array): void {
  const sig = decodeBase64Strict(signatureB64);
  if (!sig) throw new WalletError('Failed to decode signature');
  let valid = false;
  try {
    valid = sig.length === 64 && ed25519.verify(sig, challengeMessageBytes(m), nodePublicKey);
  } catch {
    valid = false;
  }
  if (!valid) throw new WalletError('Node signature is invalid.');
}

export const CHALLENGE_TTL_SECS = 15 * 60;
const FUTURE_SKEW_SECS = 60;

/**
 * Issued challenges, kept in memory until used or expired (15 min). Upstream kept the challenge in the
 * HTTP session and never enforced single use; here a nonce is accepted once, and only if we issued it.
 */
export class ChallengeStore {
  private readonly issued = new Map<string, { contextId: string | null; timestamp: number }>();

  constructor(
    private readonly signer: NodeSigner,
    private readonly ttlSecs = CHALLENGE_TTL_SECS,
    private readonly now: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  /** `request-challenge`: a fresh 32-byte nonce (base64), signed by the node. */
  issue(contextId: string | null = null): NodeChallenge {
    this.prune();
    const message: NodeChallengeMessage = {
      nonce: b64(randomBytes(32)),
      contextId,
      timestamp: this.now(),
    };
    this.issued.set(message.nonce, { contextId, timestamp: message.timestamp });
    return { ...message, nodeSignature: b64(this.signer.sign(challengeMessageBytes(message))) };
  }

  get nodePublicKey(): Uint8Array {
    return this.signer.publicKey;
  }

  /**
   * Checks a challenge echoed back by a client: node signature, age (≤ 15 min, not in the future) and
   * that it is outstanding. Does not consume it (see {@link consume}).
   */
  check(m: NodeChallengeMessage, nodeSignature: string): void {
    verifyNodeSignature(m, nodeSignature, this.signer.publicKey);
    const now = this.now();
    if (now - m.timestamp > this.ttlSecs) {
      throw new WalletError('Challenge is too old. Please request a new challenge.');
    }
    if (m.timestamp > now + FUTURE_SKEW_SECS) throw new WalletError('Challenge timestamp is in the future.');
    const rec = this.issued.get(m.nonce);
    if (!rec || rec.timestamp !== m.timestamp || rec.contextId !== (m.contextId ?? null)) {
      throw new WalletError('Challenge not found or already used. Please request a new challenge.');
    }
  }

  /** Whether `nonce` (base64) was issued here and has not expired; used by header auth, which may reuse it. */
  isOutstanding(nonce: string): boolean {
    this.prune();
    return this.issued.has(nonce);
  }

  /** Marks the nonce used; false if it was not outstanding (a concurrent use won). */
  consume(nonce: string): boolean {
    return this.issued.delete(nonce);
  }

  get size(): number {
    this.prune();
    return this.issued.size;
  }

  private prune(): void {
    const limit = this.now() - this.ttlSecs;
    for (const [nonce, rec] of this.issued) if (rec.timestamp < limit) this.issued.delete(nonce);
  }
}

// ---------------------------------------------------------------------------------------------------------
// NEAR

const NEP413_TAG = 2_147_484_061; // 2^31 + 413

function borshString(s: string): Uint8Array {
  const b = te.encode(s);
  const out = new Uint8Array(4 + b.length);
  new DataView(out.buffer).setUint32(0, b.length, true);
  out.set(b, 4);
  return out;
}

/**
 * sha256 of borsh `{tag: u32 = 2^31+413, message: String, nonce: [u8;32], recipient: String,
 * callback_url: Option<String>}` — what NEAR wallets sign for `signMessage` (as the 0.7.0 server built it,
 * always with `Some(callbackUrl)`).
 */
export function nearPayloadHash(message: string, nonce: Uint8Array, recipient: string, callbackUrl: string): Uint8Array {
  if (nonce.length !== 32) throw new WalletError('Invalid nonce length');
  const tag = new Uint8Array(4);
  new DataView(tag.buffer).setUint32(0, NEP413_TAG, true);
  const parts = [tag, borshString(message), nonce, borshString(recipient), Uint8Array.of(1), borshString(callbackUrl)];
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.length;
  }
  return sha256(all);
}

/** Parses `ed25519:<base58>` (prefix optional) into 32 bytes. */
export function parseNearPublicKey(s: string): Uint8Array | null {
  try {
    const k = base58.decode(s.replace(/^ed25519:/, ''));
    return k.length === 32 ? k : null;
  } catch {
    return null;
  }
}

/** upstream `verify_near_signature(challenge, message, app, callback_url, signature_base64, public_key)`. */
export function verifyNearSignature(args: {
  nonce: string; // base64 of 32 bytes
  message: string;
  recipient: string;
  callbackUrl: string;
  signature: string; // base64 of 64 bytes
  publicKey: string; // ed25519:<base58>
}): boolean {
  const nonce = decodeBase64Strict(args.nonce);
  const sig = decodeBase64Strict(args.signature);
  const pk = parseNearPublicKey(args.publicKey);
  if (!nonce || nonce.length !== 32 || !sig || sig.length !== 64 || !pk) return false;
  try {
    return ed25519.verify(sig, nearPayloadHash(args.message, nonce, args.recipient, args.callbackUrl), pk);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------------
// ETH / MetaMask

/** keccak256("\x19Ethereum Signed Message:\n" + byteLength(message) + message) — `personal_sign`. */
export function ethMessageHash(message: string): Uint8Array {
  const m = te.encode(message);
  const prefix = te.encode(`\x19Ethereum Signed Message:\n${m.length}`);
  const all = new Uint8Array(prefix.length + m.length);
  all.set(prefix);
  all.set(m, prefix.length);
  return keccak_256(all);
}

/** `0x` + hex of the last 20 bytes of keccak256(uncompressed public key without the 0x04 prefix). */
export function ethAddressOf(publicKey: Uint8Array): string {
  const point = secp256k1.Point.fromBytes(publicKey);
  const raw = point.toBytes(false).subarray(1);
  return `0x${Buffer.from(keccak_256(raw).subarray(12)).toString('hex')}`;
}

/** Recovers the signer address of a 65-byte `r‖s‖v` personal_sign signature (v = 27/28 or 0/1). */
export function recoverEthAddress(message: string, signatureHex: string): string {
  const hex = signatureHex.replace(/^0x/i, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(hex)) throw new WalletError('Cannot decode signature.');
  const bytes = Buffer.from(hex, 'hex');
  if (bytes.length !== 65) throw new WalletError('Signature must be 65 bytes long.');
  const v = bytes[64]!;
  const recovery = v >= 27 ? v - 27 : v;
  if (recovery !== 0 && recovery !== 1) throw new WalletError('Cannot recover public key.');
  try {
    const sig = secp256k1.Signature.fromBytes(bytes.subarray(0, 64), 'compact').addRecoveryBit(recovery);
    const point = sig.recoverPublicKey(ethMessageHash(message));
    return ethAddressOf(point.toBytes(false));
  } catch {
    throw new WalletError('Cannot recover public key.');
  }
}

/** upstream `verify_eth_signature(account, message, signature)`: throws unless the signer is `account`. */
export function verifyEthSignature(account: string, message: string, signatureHex: string): true {
  const recovered = recoverEthAddress(message, signatureHex);
  if (recovered.toLowerCase() !== account.toLowerCase()) throw new WalletError('Public key and account does not match.');
  return true;
}

// ---------------------------------------------------------------------------------------------------------
// request verification

export interface VerifiedWalletRequest {
  request: AddPublicKeyRequest;
  wallet: WalletType;
  /** The wallet's key (NEAR `ed25519:…`, ETH address): becomes/identifies the root key. */
  verifyingKey: string;
  /** The client key being registered (`payload.message.publicKey`). */
  clientPublicKey: string;
  walletAddress: string;
}

/** Parses a body with {@link AddPublicKeyRequestSchema}; throws a 400 WalletError listing the problems. */
export function parseAddPublicKeyRequest(body: unknown): AddPublicKeyRequest {
  const r = AddPublicKeyRequestSchema.safeParse(body);
  if (!r.success) {
    const msg = r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new WalletError(`Invalid request body: ${msg}`);
  }
  return r.data;
}

/** Checks the wallet signature over the challenge payload (no challenge-store/state checks). */
export function verifyWalletSignature(req: AddPublicKeyRequest): void {
  const { wallet } = req.walletMetadata;
  const msg = req.payload.message;
  switch (wallet.type) {
    case 'NEAR': {
      const meta = NearSignatureMessageMetadataSchema.safeParse(req.payload.metadata);
      if (!meta.success) throw new WalletError('Invalid metadata.');
      if (typeof req.walletSignature !== 'string') throw new WalletError('Invalid wallet signature type.');
      const valid = verifyNearSignature({
        nonce: msg.nonce,
        message: msg.message,
        recipient: meta.data.recipient,
        callbackUrl: meta.data.callbackUrl,
        signature: req.walletSignature,
        publicKey: req.walletMetadata.verifyingKey,
      });
      if (!valid) throw new WalletError('Node signature is invalid. Please check the signature.');
      return;
    }
    case 'ETH': {
      const meta = EthSignatureMessageMetadataSchema.safeParse(req.payload.metadata);
      if (!meta.success) throw new WalletError('Invalid metadata.');
      if (typeof req.walletSignature !== 'string') throw new WalletError('Invalid wallet signature type.');
      verifyEthSignature(req.walletMetadata.verifyingKey, msg.message, req.walletSignature);
      return;
    }
    default:
      throw new WalletError('Unsupported wallet type.');
  }
}

/**
 * Full check of an `add-client-key`/`root-key` body against a challenge we issued: node signature,
 * age ≤ 15 min, wallet signature, then the nonce is consumed (a replay is refused). Throws {@link WalletError}.
 */
export function verifyAddPublicKeyRequest(body: unknown, challenges: ChallengeStore): VerifiedWalletRequest {
  const req = parseAddPublicKeyRequest(body);
  const msg = req.payload.message;
  challenges.check({ nonce: msg.nonce, contextId: msg.contextId ?? null, timestamp: msg.timestamp }, msg.nodeSignature);
  verifyWalletSignature(req);
  if (!challenges.consume(msg.nonce)) {
    throw new WalletError('Challenge not found or already used. Please request a new challenge.');
  }
  return {
    request: req,
    wallet: req.walletMetadata.wallet,
    verifyingKey: req.walletMetadata.verifyingKey,
    clientPublicKey: msg.publicKey,
    walletAddress: req.walletMetadata.wallet.type === 'NEAR' ? (req.walletMetadata.walletAddress ?? '') : '',
  };
}

// ---------------------------------------------------------------------------------------------------------
// root/client key store (upstream DID: one identity "did:cali" with root keys and client keys)

export type WalletRootKey = {
  signing_key: string;
  wallet: WalletType;
  wallet_address: string;
  created_at: number; // unix ms
};

export type WalletClientKey = {
  wallet: WalletType;
  signingKey: string;
  createdAt: number; // unix ms
  contextId: string | null;
};

/** `GET /admin-api/did` answer `data.did` (mixed casing as upstream). */
export interface Did {
  id: 'did:cali';
  root_keys: WalletRootKey[];
  client_keys: WalletClientKey[];
}

const ROOT_PREFIX = 'wallet:root:';
const CLIENT_PREFIX = 'wallet:client:';

/**
 * Root and client keys of the wallet login. The first key ever registered becomes the root key; after
 * that, only a wallet whose key is a root key may add client keys.
 */
export class WalletKeyStore {
  private readonly mutex = new Mutex();
  private readonly listeners = new Set<() => void>();
  constructor(private readonly storage: AuthStorage) {}

  /** Calls `listener` after keys are added or forgotten (the node re-checks streams opened with wallet headers). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  /**
   * The permissions wallet headers signed by `signingKey` carry: a root key is the node's administrator
   * (`admin`); a client key registered for a context holds `context[<id>]` for each such context (run its
   * methods, receive its events), one registered without a context is a device of the administrator (`admin`).
   * Null when the key is not registered.
   */
  async permissionsOf(signingKey: string): Promise<string[] | null> {
    if (await this.getRootKey(signingKey)) return ['admin'];
    const mine = (await this.listClientKeys()).filter((k) => k.signingKey === signingKey);
    if (mine.length === 0) return null;
    if (mine.some((k) => k.contextId === null)) return ['admin'];
    return [...new Set(mine.map((k) => `context[${k.contextId}]`))];
  }

  async hasRootKeys(): Promise<boolean> {
    return (await this.storage.listKeys(ROOT_PREFIX)).length > 0;
  }

  async getRootKey(signingKey: string): Promise<WalletRootKey | null> {
    return getJson<WalletRootKey>(this.storage, ROOT_PREFIX + signingKey);
  }

  async addRootKey(signingKey: string, wallet: WalletType, walletAddress = ''): Promise<WalletRootKey> {
    const key: WalletRootKey = { signing_key: signingKey, wallet, wallet_address: walletAddress, created_at: Date.now() };
    await setJson(this.storage, ROOT_PREFIX + signingKey, key);
    this.changed();
    return key;
  }

  async addClientKey(signingKey: string, wallet: WalletType, contextId: string | null): Promise<WalletClientKey> {
    const key: WalletClientKey = { wallet, signingKey, createdAt: Date.now(), contextId };
    await setJson(this.storage, `${CLIENT_PREFIX}${contextId ?? ''}:${signingKey}`, key);
    this.changed();
    return key;
  }

  async listRootKeys(): Promise<WalletRootKey[]> {
    return this.list<WalletRootKey>(ROOT_PREFIX);
  }

  /** All client keys, or those of one context (`null` = keys registered without a context). */
  async listClientKeys(contextId?: string | null): Promise<WalletClientKey[]> {
    const all = await this.list<WalletClientKey>(CLIENT_PREFIX);
    return contextId === undefined ? all : all.filter((k) => k.contextId === contextId);
  }

  async isClientKey(signingKey: string, contextId?: string | null): Promise<boolean> {
    return (await this.listClientKeys(contextId)).some((k) => k.signingKey === signingKey);
  }

  async did(): Promise<Did> {
    return { id: 'did:cali', root_keys: await this.listRootKeys(), client_keys: await this.listClientKeys() };
  }

  /** `DELETE /admin-api/identity/keys` and `DELETE /admin-api/did`: forget every root and client key. */
  async clear(): Promise<void> {
    for (const k of [...(await this.storage.listKeys(ROOT_PREFIX)), ...(await this.storage.listKeys(CLIENT_PREFIX))]) {
      await this.storage.delete(k);
    }
    this.changed();
  }

  private async list<T>(prefix: string): Promise<T[]> {
    const out: T[] = [];
    for (const k of await this.storage.listKeys(prefix)) {
      const v = await getJson<T>(this.storage, k);
      if (v) out.push(v);
    }
    return out;
  }

  /**
   * `add-client-key` after verification. A wallet that is already a root key adds its client key. Any other
   * wallet becomes a root key only while the node has no administrator at all (first start), or with an
   * administrator's authorisation (an admin token on the request); otherwise the request is refused and
   * nothing is stored. Returns whether a root key was created.
   */
  async registerClientKey(
    v: VerifiedWalletRequest,
    auth: WalletAuthorisation,
  ): Promise<{ rootKeyCreated: boolean; clientKey: WalletClientKey }> {
    return this.mutex.run(async () => {
      let rootKeyCreated = false;
      if (!(await this.getRootKey(v.verifyingKey))) {
        if (!auth.adminAuthorised && (await auth.hasAdministrator())) {
          throw new WalletError(
            'This node already has an administrator: a new wallet needs an administrator token (Authorization: Bearer) or a signature by an existing root key',
            403,
          );
        }
        await this.addRootKey(v.verifyingKey, v.wallet, v.walletAddress);
        rootKeyCreated = true;
      }
      const clientKey = await this.addClientKey(v.clientPublicKey, v.wallet, v.request.contextId ?? null);
      return { rootKeyCreated, clientKey };
    });
  }
}

/** What the caller of `add-client-key` brings besides the wallet signature. */
export interface WalletAuthorisation {
  /** Whether the node has an administrator in any provider (user_password, wallet, an external mero-auth). */
  hasAdministrator(): Promise<boolean>;
  /** The request carries a valid credential holding `admin`. */
  adminAuthorised: boolean;
}

/** Everything the seed wallet routes need, around one challenge store and one key store. */
export interface WalletLogin {
  challenges: ChallengeStore;
  keys: WalletKeyStore;
  /** `POST /admin-api/request-challenge` → `{"data": NodeChallenge}`. */
  requestChallenge(body: unknown): { data: NodeChallenge };
  /** `POST /admin-api/add-client-key` → `{"data": "Client key stored"}`. Throws {@link WalletError}. */
  addClientKey(body: unknown, auth?: WalletAuthorisation): Promise<{ data: string }>;
  /** `POST /admin-api/root-key` (protected) → `{"data": "Root key stored"}`. Throws {@link WalletError}. */
  addRootKey(body: unknown): Promise<{ data: string }>;
  /** `GET /admin-api/did` → `{"data": {"did": Did}}`. */
  did(): Promise<{ data: { did: Did } }>;
}

export function createWalletLogin(opts: { signer: NodeSigner; storage: AuthStorage; now?: () => number }): WalletLogin {
  const challenges = new ChallengeStore(opts.signer, CHALLENGE_TTL_SECS, opts.now);
  const keys = new WalletKeyStore(opts.storage);
  return {
    challenges,
    keys,
    requestChallenge(body) {
      const r = RequestChallengeSchema.safeParse(body ?? {});
      if (!r.success) throw new WalletError(`Invalid request body: ${r.error.issues.map((i) => i.message).join('; ')}`);
      return { data: challenges.issue(r.data.contextId ?? null) };
    },
    async addClientKey(body, auth = { hasAdministrator: () => keys.hasRootKeys(), adminAuthorised: false }) {
      const v = verifyAddPublicKeyRequest(body, challenges);
      await keys.registerClientKey(v, auth);
      return { data: 'Client key stored' };
    },
    async addRootKey(body) {
      const v = verifyAddPublicKeyRequest(body, challenges);
      await keys.addRootKey(v.verifyingKey, v.wallet, v.walletAddress);
      return { data: 'Root key stored' };
    },
    async did() {
      return { data: { did: await keys.did() } };
    },
  };
}
