import type { Handler } from '../../handler.ts';
import type { Services } from '../../services.ts';
import type { contextRoutes } from '../../../wire/routes/contexts.ts';
import { Contexts } from '../../../node/contexts.ts';
import { jsonError } from '../../errors.ts';
import { pathId } from '../params.ts';

export default (s: Pick<Services, 'contexts'>): Handler<typeof contextRoutes.getContext> =>
  async ({ params }) => {
    const id = pathId(params.context_id);
    const meta = await s.contexts.meta(id);
    if (!meta) throw jsonError(404, 'Context not found');
    return { data: Contexts.view(id, meta) };
  };
