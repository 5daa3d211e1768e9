import { z } from 'zod';
import { DomainError } from '../../util/errors.ts';
import { isId } from '../../util/ids.ts';

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

/** Why a wallet login is refused: a bad request or signature, or a new root wallet while an administrator exists. */
export type WalletErrorCode = 'rejected' | 'administrator_exists';

/** A refusal with upstream's message (the node answers `{"error": message}`, status by code in src/server/errors.ts). */
export class WalletError extends DomainError<WalletErrorCode> {
  constructor(message: string, code: WalletErrorCode = 'rejected') {
    super(code, message);
  }
}
