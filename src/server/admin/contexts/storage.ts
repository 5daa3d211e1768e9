import type { Handler } from '../../handler.ts';
import type { Services } from '../../services.ts';
import type { contextRoutes } from '../../../wire/routes/contexts.ts';
import { jsonError } from '../../errors.ts';
import { pathId } from '../params.ts';

/** Real size of the context's state in bytes (keys + values); upstream's handler is a stub answering 0. */
export default (s: Pick<Services, 'contexts'>): Handler<typeof contextRoutes.contextStorage> =>
  async ({ params }) => {
    const id = pathId(params.context_id, 'Invalid context id');
    const meta = await s.contexts.meta(id);
    if (!meta) throw jsonError(404, 'Context not found');
    return { data: { sizeInBytes: meta.sizeInBytes } };
  };
