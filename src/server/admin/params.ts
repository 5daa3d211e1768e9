import { decodeId, IdError } from '../../util/ids.ts';
import { jsonError, textError } from '../errors.ts';

/**
 * Parses a base58 id from the path. Upstream typed extractors answer 400 text `Invalid URL: …`; handlers that
 * take a plain string answer 400 JSON with their own message (`jsonMessage`).
 */
export function pathId(value: string | undefined, jsonMessage?: string): Uint8Array {
  try {
    return decodeId(value ?? '');
  } catch (err) {
    if (jsonMessage) throw jsonError(400, jsonMessage);
    throw textError(400, `Invalid URL: ${err instanceof IdError ? err.message : 'invalid id'}`);
  }
}
