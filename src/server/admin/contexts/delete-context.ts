import type { Handler } from '../../handler.ts';
import type { Services } from '../../services.ts';
import type { contextRoutes } from '../../../wire/routes/contexts.ts';
import { pathId } from '../params.ts';

/** Deleting an unknown context is `{"isDeleted":false}` with 200, as upstream. */
export default (s: Pick<Services, 'execution'>): Handler<typeof contextRoutes.deleteContext> =>
  async ({ params }) => {
    const id = pathId(params.context_id, 'Invalid context id');
    return { data: { isDeleted: await s.execution.deleteContext(id) } };
  };
