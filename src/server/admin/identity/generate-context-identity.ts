import type { Handler } from '../../handler.ts';
import type { Services } from '../../services.ts';
import type { contextRoutes } from '../../../wire/routes/contexts.ts';
import { encodeId } from '../../../util/ids.ts';

/** POST /admin-api/identity/context — a new keypair in the identity pool (body ignored). */
export default (s: Pick<Services, 'contexts'>): Handler<typeof contextRoutes.generateContextIdentity> =>
  async () => ({ data: { publicKey: encodeId(await s.contexts.generatePoolIdentity()) } });
