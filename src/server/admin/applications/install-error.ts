import { InstallError } from '../../../node/applications.ts';
import { HttpError, textError } from '../../errors.ts';

/**
 * Install failures are text/plain as upstream; a cause on the client's side (unreachable URL, hash mismatch,
 * not WASM, too large, missing file) is a 4xx/502 instead of upstream's blanket 500.
 */
export function installFailure(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof InstallError) return textError(err.status, err.message);
  return textError(500, (err as Error).message ?? String(err));
}
