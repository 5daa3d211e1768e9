import type { Handler } from '../../handler.ts';
import type { Services } from '../../services.ts';
import type { membershipRoutes } from '../../../wire/routes/contexts.ts';
import type { publicRoutes } from '../../../wire/routes/public.ts';
import { decodeId } from '../../../util/ids.ts';
import { jsonError } from '../../errors.ts';

/**
 * Upstream's TEE features (docs/wire.md): TDX attestation of this node, verification of a TDX quote,
 * and inviting a TEE node into a context (which then proves itself with a quote). This node runs on no TDX
 * hardware and has no quote verifier, so each route makes upstream's body checks, with upstream's texts, and
 * then answers in upstream's error shape that the feature is not available here.
 */

/** Upstream's text when the platform cannot produce a TDX quote. */
export const TDX_ATTESTATION_UNAVAILABLE = 'TDX attestation generation is only supported on Linux with TDX hardware';
const NO_TEE_INFO = 'Failed to get TEE info: this node does not run inside a TDX trusted execution environment';
const NO_VERIFIER = 'TDX quote verification is not available on this node: it has no TDX quote verifier (TEE attestation is not supported here)';
const NO_SPECIALIZED = 'Inviting specialized (TEE) nodes is not available on this node: it cannot verify TDX attestation';

/** upstream `validate_hex_string(value, field, 32)` */
function hex32(value: string, field: string): string | null {
  const len = Buffer.byteLength(value); // Rust's str::len: UTF-8 bytes
  if (len !== 64) return `Field '${field}' must be exactly 64 characters (got ${len})`;
  if (!/^[0-9a-fA-F]*$/.test(value)) return `Field '${field}' contains invalid hex encoding: contains non-hexadecimal characters`;
  return null;
}

/** The ValidatedJson answer for a list of validation failures (none → nothing thrown). */
function refuse(errors: Array<string | null>): void {
  const texts = errors.filter((e): e is string => e !== null);
  if (texts.length === 1) throw jsonError(400, texts[0]!);
  if (texts.length > 1) throw jsonError(400, `Validation errors: ${texts.join('; ')}`);
}

/** base64 (standard alphabet, padded) as upstream's decoder checks it; its error text, or null when valid. */
function base64Problem(s: string): string | null {
  const bad = /[^A-Za-z0-9+/=]/.exec(s);
  if (bad) return `Invalid symbol ${bad[0].charCodeAt(0)}, offset ${bad.index}.`;
  if (s.length % 4 !== 0) return `Invalid input length: ${s.length}`;
  const pad = s.indexOf('=');
  if (pad !== -1 && (pad < s.length - 2 || !/^=*$/.test(s.slice(pad)))) return 'Invalid padding';
  return null;
}

/** GET /admin-api/tee/info — upstream's text for unreadable TEE information; 501 here (upstream: 500). */
export const teeInfo = (): Handler<typeof publicRoutes.teeInfo> => () => {
  throw jsonError(501, NO_TEE_INFO);
};

/** POST /admin-api/tee/attest — nonce and application checked as upstream, then 501. */
export const teeAttest = (s: Pick<Services, 'apps'>): Handler<typeof publicRoutes.teeAttest> =>
  async ({ body }) => {
    refuse([hex32(body.nonce, 'nonce')]);
    if (body.applicationId && !(await s.apps.get(decodeId(body.applicationId)))) {
      throw jsonError(404, `Application '${body.applicationId}' not found`);
    }
    throw jsonError(501, TDX_ATTESTATION_UNAVAILABLE);
  };

/** POST /admin-api/tee/verify-quote — body and base64 checked as upstream, then 501. */
export const teeVerifyQuote = (): Handler<typeof publicRoutes.teeVerifyQuote> => ({ body }) => {
  const len = Buffer.byteLength(body.quoteB64);
  refuse([
    len > 65536 ? `Field 'quote_b64' exceeds maximum length of 65536 characters (got ${len})` : null,
    hex32(body.nonce, 'nonce'),
    body.expectedApplicationHash == null ? null : hex32(body.expectedApplicationHash, 'expected_application_hash'),
  ]);
  const problem = base64Problem(body.quoteB64);
  if (problem) throw jsonError(400, `Invalid base64 quote: ${problem}`);
  throw jsonError(501, NO_VERIFIER);
};

/** POST /admin-api/contexts/invite-specialized-node — upstream's inviter check, then 501. */
export const inviteSpecializedNode = (s: Pick<Services, 'contexts'>): Handler<typeof membershipRoutes.inviteSpecializedNode> =>
  async ({ body }) => {
    if (!body.inviterId) {
      const owned = await s.contexts.identities(decodeId(body.contextId), true);
      if (owned.length === 0) throw jsonError(400, 'No owned identities found for context');
    }
    throw jsonError(501, NO_SPECIALIZED);
  };
