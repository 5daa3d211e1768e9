import { randomBytes } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { type NodeChallenge, type NodeChallengeMessage, WalletError } from './schemas.ts';

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

export const te = new TextEncoder();
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

/** The exact bytes the node signs: compact JSON `{"nonce":…,"contextId":…,"timestamp":…}`. */
export function challengeMessageBytes(m: NodeChallengeMessage): Uint8Array {
  return te.encode(JSON.stringify({ nonce: m.nonce, contextId: m.contextId ?? null, timestamp: m.timestamp }));
}

export function decodeBase64Strict(s: string): Uint8Array | null {
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

