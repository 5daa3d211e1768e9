import { ContextError } from '../../../node/contexts.ts';
import { ExecuteError } from '../../../node/execution.ts';
import { domainHttpError, HttpError, jsonError } from '../../errors.ts';

/** Node-side context failures as upstream's `{"error":"…"}` JSON, with a 4xx where the client is at fault. */
export function contextFailure(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof ContextError) return domainHttpError(err);
  if (err instanceof ExecuteError) {
    const status = err.type === 'ContextNotFound' ? 404 : err.type === 'Unauthorized' ? 403 : 400;
    return jsonError(status, err.type === 'FunctionCallError' ? String(err.data) : err.type);
  }
  throw err;
}
