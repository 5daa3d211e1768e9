import type { Handler } from '../../handler.ts';
import type { Services } from '../../services.ts';
import type { publicRoutes } from '../../../wire/routes/public.ts';
import { textError } from '../../errors.ts';
import { readCertificate } from '../../../node/tls.ts';

/** The node's self-signed certificate (made at init) as PEM. Upstream never wrote one, so it always 404'd. */
export default (s: Pick<Services, 'dir'>): Handler<typeof publicRoutes.certificate> =>
  async ({ reply }) => {
    const tls = await readCertificate(s.dir);
    if (!tls) throw textError(404, 'Certificate not found');
    return reply.type('text/plain').header('content-disposition', 'attachment; filename="cert.pem"').send(tls.cert);
  };
