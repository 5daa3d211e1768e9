import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import { DomainError } from '../util/errors.ts';
import type { ContextErrorCode } from '../node/contexts.ts';
import type { ExecuteErrorCode } from '../node/execute-error.ts';
import type { CodecErrorCode } from '../node/sync/codec.ts';
import { InstallError, type InstallErrorCode } from '../node/applications.ts';
import type { BlobErrorCode } from '../node/blobs.ts';
import type { WalletErrorCode } from '../auth/wallet.ts';
import type { ProposalErrorCode } from '../node/proposals/rules.ts';

/**
 * Upstream answers errors in four shapes (docs/wire.md, Errors). Handlers throw one of these and the server's
 * error handler writes it; nothing else reaches the client as a 500.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** 'json' → {"error":"…"}; 'text' → text/plain body; 'empty' → no body. */
    readonly shape: 'json' | 'text' | 'empty' = 'json',
    readonly body?: unknown,
    /** Extra response headers (e.g. `x-auth-error`, `retry-after`). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export const jsonError = (status: number, message: string) => new HttpError(status, message, 'json');
export const textError = (status: number, message: string) => new HttpError(status, message, 'text');

/**
 * HTTP status of each domain error code: the one place where the domain's failures become HTTP. Each area adds
 * its codes in its own block (typed as `Record<ItsCode, number>` so a new code without a status fails to compile).
 */
const DOMAIN_STATUS: Record<string, Answer> = {};

/** How a code is answered: a status (JSON `{"error": message}`), or a status with upstream's text for it. */
type Answer = number | { status: number; message: (message: string) => string };

/** Registers the answers of one area's codes (called once per area below, at module load). */
function statuses<C extends string>(table: Record<C, Answer>): void {
  Object.assign(DOMAIN_STATUS, table);
}

// ---- node: contexts, execution, sync (src/node) -----------------------------------------------------------------
statuses<ContextErrorCode>({
  context_not_found: 404,
  application_not_found: 404,
  context_exists: 409,
  no_free_context_id: 500,
  init_failed: 400,
  identity_not_owned: 400,
  identity_not_in_pool: 400,
  not_allowed: 403,
  entry_refused: 403,
  invalid_invitation: 400,
  swarm_not_running: 503,
  // open invitations: the inviter's node named in the invitation does not answer
  inviter_unreachable: 503,
});
/** Outside JSON-RPC (which answers `{type, data}`), an execution failure is `{"error":…}` with these statuses. */
statuses<ExecuteErrorCode>({
  ContextNotFound: 404,
  Unauthorized: 403,
  Uninitialized: 400,
  ApplicationNotInstalled: 400,
  FunctionCallError: 400,
  SerdeError: 400,
  AliasResolutionFailed: 400,
  InternalError: 400,
});
statuses<CodecErrorCode>({ truncated: 400, trailing_bytes: 400, bad_length: 400, too_many: 400, unknown_tag: 400, bad_signature: 400, not_base58: 400 });
statuses<'invalid_id'>({ invalid_id: 400 });

// ---- blobs (src/node/blobs.ts): upstream's `Failed to store blob: …` ----------------------------------------------
statuses<BlobErrorCode>({
  too_large: { status: 413, message: (m) => `Failed to store blob: ${m}` },
  hash_mismatch: { status: 400, message: () => 'Failed to store blob: hash mismatch' },
});

// ---- application installs (src/node/applications.ts): answered as text/plain, like upstream's install routes --------
statuses<InstallErrorCode>({ install_invalid: 400, install_not_found: 404, install_too_large: 413, install_download_failed: 502, install_conflict: 409 });

// ---- the seed's wallet login (src/auth/wallet) --------------------------------------------------------------------
statuses<WalletErrorCode>({ rejected: 400, administrator_exists: 403 });

// ---- proposals (src/node/proposals): upstream's texts; upstream answers them all 500 (parse_api_error), ours say
// whose fault it is, like the other routes here (the server answers no 5xx for a client's mistake) -------------
statuses<ProposalErrorCode>({
  proxy_context_not_found: 404,
  proposal_not_found: 404,
  value_not_found: 404,
  delete_target_missing: 404,
  proposal_exists: 409,
  already_approved: 409,
  too_many_proposals: 409,
  delete_not_author: 403,
  author_mismatch: 400,
  // like the TEE routes: a feature this node cannot provide
  needs_chain: 501,
});

/**
 * A domain error as upstream answers it: `{"error":"…"}`, except install failures, which upstream writes as
 * text/plain. Unknown codes are the client's fault (400).
 */
export function domainHttpError(err: DomainError): HttpError {
  const shape = err instanceof InstallError ? 'text' : 'json';
  const a = DOMAIN_STATUS[err.code] ?? 400;
  return typeof a === 'number' ? new HttpError(a, err.message, shape) : new HttpError(a.status, a.message(err.message), shape);
}

/**
 * Any thrown value as the error to answer with: the one place where failures become HTTP. Undefined when it is
 * not ours to describe (→ the server's 500), except on a route whose declared `failure` is 'text' (upstream's
 * install routes: 500 text/plain with the message).
 */
export function toHttpError(err: unknown, failure: 'json' | 'text' = 'json'): HttpError | undefined {
  if (err instanceof HttpError) return err;
  if (failure === 'text') {
    if (err instanceof InstallError) return domainHttpError(err);
    return textError(500, (err as Error)?.message ?? String(err));
  }
  if (err instanceof DomainError) return domainHttpError(err);
  return undefined;
}

export function sendError(reply: FastifyReply, err: HttpError): FastifyReply {
  reply.code(err.status);
  if (err.headers) reply.headers(err.headers);
  if (err.shape === 'empty') return reply.send();
  if (err.shape === 'text') return reply.type('text/plain; charset=utf-8').send(err.message);
  return reply.type('application/json').send(err.body ?? { error: err.message });
}

/** Upstream `ValidationError` Display text for one zod issue, naming the Rust (snake_case) field. */
export function issueText(issue: z.core.$ZodIssue): string {
  const field = issue.path.map((p) => (typeof p === 'string' ? snake(p) : String(p))).join('.') || 'body';
  const i = issue as z.core.$ZodIssue & { maximum?: number | bigint; minimum?: number | bigint; origin?: string };
  if (issue.code === 'too_big') {
    if (i.origin === 'array') return `Field '${field}' contains too many items (max ${i.maximum})`;
    if (i.origin === 'string') return `Field '${field}' exceeds maximum length of ${i.maximum} characters`;
    return `Field '${field}' value exceeds maximum of ${i.maximum}`;
  }
  if (issue.code === 'too_small') {
    if ((i.origin === 'string' || i.origin === 'array') && Number(i.minimum) === 1) {
      return `Field '${field}' is required but was empty`;
    }
    return `Field '${field}' value is below minimum of ${i.minimum}`;
  }
  if (issue.code === 'invalid_type' && (issue.input === undefined)) {
    return `missing field \`${field.split('.').at(-1)}\``;
  }
  return `Field '${field}' has invalid format: ${issue.message}`;
}

export function snake(s: string): string {
  return s.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
}

/** Joins issues the way upstream's ValidatedJson does: one → itself, several → "Validation errors: a; b". */
export function validationMessage(issues: z.core.$ZodIssue[]): string {
  const texts = issues.map(issueText);
  return texts.length === 1 ? texts[0]! : `Validation errors: ${texts.join('; ')}`;
}
