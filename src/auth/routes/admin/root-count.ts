import type { AuthCore } from '../../core.ts';
import { isValidKey } from '../../keys.ts';

/** How many root keys are not revoked (the last one may not be revoked or deleted). */
export async function activeRootCount(core: Pick<AuthCore, 'keys'>): Promise<number> {
  return (await core.keys.listKeys('Root')).filter(([, k]) => isValidKey(k)).length;
}
