import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const TLS_DIR = 'tls';

/** Self-signed certificate made at `merod init` for the optional HTTPS listener; served at /admin-api/certificate. */
export async function generateCertificate(nodeDir: string, hosts: string[]): Promise<void> {
  const notAfter = new Date();
  notAfter.setFullYear(notAfter.getFullYear() + 10);
  const altNames = [
    { type: 2 as const, value: 'localhost' },
    ...hosts.map((ip) => ({ type: 7 as const, ip })),
  ];
  // Loaded here: the certificate generator and its X.509 stack are only needed by `init` and certificate renewal.
  const { generate } = await import('selfsigned');
  const pems = await generate([{ name: 'commonName', value: 'calimero-node' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: notAfter,
    extensions: [{ name: 'subjectAltName', altNames }],
  });
  const dir = join(nodeDir, TLS_DIR);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'cert.pem'), pems.cert);
  await writeFile(join(dir, 'key.pem'), pems.private, { mode: 0o600 });
}

export async function readCertificate(nodeDir: string): Promise<{ cert: string; key: string } | null> {
  try {
    const dir = join(nodeDir, TLS_DIR);
    return { cert: await readFile(join(dir, 'cert.pem'), 'utf8'), key: await readFile(join(dir, 'key.pem'), 'utf8') };
  } catch {
    return null;
  }
}
