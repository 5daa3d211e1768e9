import type { Handler } from '../../handler.ts';
import type { Services } from '../../services.ts';
import type { contextRoutes } from '../../../wire/routes/contexts.ts';
import { decodeId, encodeId } from '../../../util/ids.ts';
import { jsonError } from '../../errors.ts';
import { pathId } from '../params.ts';

/**
 * POST /admin-api/contexts/:id/application — switch the context to another installed application, then run
 * `migrateMethod` (if given) under it (src/node/sync/manager.ts `updateApplication`). In a context with a DAG the
 * switch is a signed `Application` entry that every member applies, and the migration's delta follows it
 * causally; a failed migration switches back with a second entry (members see both), so the old application
 * stays in use.
 */
export default (s: Pick<Services, 'contexts' | 'apps' | 'sync'>): Handler<typeof contextRoutes.updateContextApplication> =>
  async ({ params, body }) => {
    const id = pathId(params.context_id, 'Invalid context id');
    if (!(await s.contexts.exists(id))) throw jsonError(404, 'Context not found');
    const appId = decodeId(body.applicationId);
    if (!(await s.apps.get(appId))) throw jsonError(404, 'application not found');
    const executor = decodeId(body.executorPublicKey);
    const identity = await s.contexts.identity(id, executor);
    if (!identity?.privateKey) throw jsonError(403, `identity ${body.executorPublicKey} is not an owned member of context ${encodeId(id)}`);
    await s.sync.updateApplication(id, executor, appId, body.migrateMethod || undefined);
    return { data: null };
  };
