import { permission } from '../../../auth/index.ts';
import { defineRoute } from '../../route.ts';
import { emptyResponse, updateContextApplicationRequest } from '../../../wire/admin.ts';
import { decodeId, encodeId } from '../../../util/ids.ts';
import { jsonError } from '../../errors.ts';
import { pathId } from '../params.ts';
import { contextFailure } from './context-error.ts';

/**
 * POST /admin-api/contexts/:id/application — switch the context to another installed application, then run
 * `migrateMethod` (if given) under it. In a context with a DAG the switch is a signed `Application` entry that
 * every member applies, and the migration's delta follows it causally; a failed migration switches back with
 * a second entry (members see both), so the old application stays in use.
 */
export default defineRoute({
  method: 'POST',
  url: '/admin-api/contexts/:context_id/application',
  access: 'protected',
    permission: ({ params }) => permission('context', 'application:update', params.context_id!),
  response: emptyResponse,
  body: { schema: updateContextApplicationRequest, errors: 'validated' },
  async handler({ node, params, body }) {
    const id = pathId(params.context_id, 'Invalid context id');
    const meta = await node.contexts.meta(id);
    if (!meta) throw jsonError(404, 'Context not found');
    const appId = decodeId(body.applicationId);
    if (!(await node.apps.get(appId))) throw jsonError(404, 'application not found');
    const executor = decodeId(body.executorPublicKey);
    const identity = await node.contexts.identity(id, executor);
    if (!identity?.privateKey) throw jsonError(403, `identity ${body.executorPublicKey} is not an owned member of context ${encodeId(id)}`);
    const previous = meta.applicationId;
    const switchTo = async (app: Uint8Array) => {
      if (!(await node.sync.setApplication(id, executor, app))) await node.contexts.setApplication(id, app);
    };
    try {
      await switchTo(appId);
    } catch (err) {
      throw contextFailure(err);
    }
    if (body.migrateMethod) {
      try {
        await node.execution.execute({ contextId: id, method: body.migrateMethod, input: new Uint8Array(), executor, mode: 'mutate' });
      } catch (err) {
        await switchTo(previous);
        throw contextFailure(err);
      }
    }
    return { data: null };
  },
});
