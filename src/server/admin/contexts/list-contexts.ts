import type { Handler } from '../../handler.ts';
import type { Services } from '../../services.ts';
import type { contextRoutes } from '../../../wire/routes/contexts.ts';
import { Contexts } from '../../../node/contexts.ts';

export default (s: Pick<Services, 'contexts'>): Handler<typeof contextRoutes.listContexts> =>
  async () => ({ data: { contexts: (await s.contexts.list()).map((c) => Contexts.view(c.id, c.meta)) } });
