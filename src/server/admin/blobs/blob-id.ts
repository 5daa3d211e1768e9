import { decodeId } from '../../../util/ids.ts';
import { jsonError } from '../../errors.ts';

/** A blob id from the path or query; a malformed one is 400 `{"error": message}` as upstream. */
export function blobIdParam(value: string | undefined, message = 'Invalid blob ID format'): Uint8Array {
  try {
    return decodeId(value ?? '');
  } catch {
    throw jsonError(400, message);
  }
}
