import { defineRoute } from '../../route.ts';
import { textError } from '../../errors.ts';
import { readCertificate } from '../../../node/tls.ts';

/** The node's self-signed certificate (made at init) as PEM. Upstream never wrote one, so it always 404'd. */
export default defineRoute({
  method: 'GET',
  url: '/admin-api/certificate',
  access: 'public',
  produces: 'text/plain',
  async handler({ node, reply }) {
    const tls = await readCertificate(node.dir);
    if (!tls) throw textError(404, 'Certificate not found');
    reply
      .type('text/plain')
      .header('content-disposition', 'attachment; filename="cert.pem"')
      .send(tls.cert);
  },
});
