/**
 * Open invitations (upstream's `SignedOpenInvitation`, context-config types): a member with ManageMembers signs
 * an invitation to a context that names no invitee; whoever holds it may join until it expires. Pure: encoding,
 * signing, checking. The joining itself is members.ts (joiner side) and protocol.ts (the inviter's node).
 *
 * The signature is upstream's: ed25519 over sha256 of the borsh encoding of the invitation, hex-encoded.
 * Without a chain there is no block height: a "block" here is one second of wall-clock time (about NEAR's block
 * time), so the height is the Unix time in seconds and `validForBlocks` is a lifetime in seconds. As on upstream,
 * `protocol`, `network` and `contract_id` say where to join: "p2p", the inviter's peer id, its swarm addresses.
 */
import { hash } from '../../util/ids.ts';
import { CodecError, Reader, Writer } from './binary.ts';
import { edSign, edVerify } from '../../util/ed25519.ts';

/** `InvitationFromMember`, ids as bytes. */
export interface OpenInvitation {
  inviter: Uint8Array;
  contextId: Uint8Array;
  expirationHeight: bigint;
  salt: Uint8Array;
  protocol: string;
  network: string;
  contractId: string;
}

export interface SignedOpen {
  invitation: OpenInvitation;
  /** 64 bytes (hex on the wire). */
  signature: Uint8Array;
}

/** The JSON of upstream's `SignedOpenInvitation` (snake_case, ids as arrays of 32 numbers). */
export interface SignedOpenJson {
  invitation: {
    inviter_identity: number[];
    context_id: number[];
    expiration_height: number;
    secret_salt: number[];
    protocol: string;
    network: string;
    contract_id: string;
  };
  inviter_signature: string;
}

/** The current "block height": Unix time in seconds. */
export function currentHeight(nowMs: number = Date.now()): bigint {
  return BigInt(Math.floor(nowMs / 1000));
}

/** borsh(InvitationFromMember), the bytes whose sha256 the inviter signs. */
export function invitationBytes(i: OpenInvitation): Buffer {
  return new Writer().fixed(i.inviter, 32).fixed(i.contextId, 32).u64(i.expirationHeight).fixed(i.salt, 32).str(i.protocol).str(i.network).str(i.contractId).done();
}

export function signOpenInvitation(i: OpenInvitation, inviterSeed: Uint8Array): SignedOpen {
  return { invitation: i, signature: edSign(inviterSeed, hash(invitationBytes(i))) };
}

/** Why an open invitation may not be used now; null when it may. */
export type OpenRefusal = 'bad_signature' | 'expired' | 'wrong_context';

/** Texts of the refusals; `revoked` is decided by the inviter's node (issued-invitations.ts), not here. */
export const OPEN_REFUSAL_TEXT: Record<OpenRefusal | 'revoked', string> = {
  revoked: 'invalid open invitation: the inviter has revoked it',
  bad_signature: "invalid open invitation: the inviter's signature does not match the invitation",
  expired: 'invalid open invitation: it has expired',
  wrong_context: 'invalid open invitation: it is for another context',
};

export function openRefusal(s: SignedOpen, height: bigint, ctx?: Uint8Array): OpenRefusal | null {
  if (!edVerify(s.invitation.inviter, hash(invitationBytes(s.invitation)), s.signature)) return 'bad_signature';
  if (ctx && Buffer.compare(Buffer.from(ctx), Buffer.from(s.invitation.contextId)) !== 0) return 'wrong_context';
  if (s.invitation.expirationHeight <= height) return 'expired';
  return null;
}

// ---- wire forms ----------------------------------------------------------------------------------------------

export function toJson(s: SignedOpen): SignedOpenJson {
  const i = s.invitation;
  return {
    invitation: {
      inviter_identity: [...i.inviter],
      context_id: [...i.contextId],
      expiration_height: Number(i.expirationHeight),
      secret_salt: [...i.salt],
      protocol: i.protocol,
      network: i.network,
      contract_id: i.contractId,
    },
    inviter_signature: Buffer.from(s.signature).toString('hex'),
  };
}

function signatureOf(hex: string): Uint8Array {
  if (!/^[0-9a-fA-F]{128}$/.test(hex)) throw new CodecError('bad_signature', 'invalid open invitation: inviter_signature is not 64 bytes of hex');
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

/** From the (schema-checked) JSON; a signature that is not 64 bytes of hex is a CodecError. */
export function fromJson(j: SignedOpenJson): SignedOpen {
  const i = j.invitation;
  return {
    invitation: {
      inviter: Uint8Array.from(i.inviter_identity),
      contextId: Uint8Array.from(i.context_id),
      expirationHeight: BigInt(i.expiration_height),
      salt: Uint8Array.from(i.secret_salt),
      protocol: i.protocol,
      network: i.network,
      contractId: i.contract_id,
    },
    signature: signatureOf(j.inviter_signature),
  };
}

/** borsh(SignedOpenInvitation) as the sync protocol carries it (the signature as upstream's hex string). */
export function encodeSignedOpen(s: SignedOpen): Buffer {
  return Buffer.concat([invitationBytes(s.invitation), new Writer().str(Buffer.from(s.signature).toString('hex')).done()]);
}

export function decodeSignedOpen(r: Reader): SignedOpen {
  const invitation = { inviter: r.fixed(32), contextId: r.fixed(32), expirationHeight: r.u64(), salt: r.fixed(32), protocol: r.str(), network: r.str(), contractId: r.str() };
  return { invitation, signature: signatureOf(r.str()) };
}
