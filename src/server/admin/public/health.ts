import type { Handler } from '../../handler.ts';
import type { publicRoutes } from '../../../wire/routes/public.ts';

export default (): Handler<typeof publicRoutes.health> => () => ({ data: { status: 'alive' } });
