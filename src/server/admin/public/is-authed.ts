import type { Handler } from '../../handler.ts';
import type { publicRoutes } from '../../../wire/routes/public.ts';

/** Answers 200 itself; behind an auth proxy the proxy's 401 tells a client that auth is required. */
export default (): Handler<typeof publicRoutes.isAuthed> => () => ({ data: { status: 'alive' } });
