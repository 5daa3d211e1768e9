/**
 * `CALIMERO_AUTH_FRONTEND_SRC`: where the login page comes from when it is not ours — a release archive
 * (`.tar.gz` / `.zip`, a local path or an http(s) URL) or a local build directory. An archive is unpacked once
 * into `<home>/auth-frontend/<key>/` (key: the archive's sha256 for a local file, the URL's for a download, so a
 * restart neither downloads nor unpacks again) and served from there; a directory is served in place.
 * `CALIMERO_AUTH_FRONTEND_PATH` (a directory) still wins. Anything unusable fails the start with a message
 * that names the variable and the reason.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { DomainError } from '../util/errors.ts';
import { ArchiveError, readArchive } from '../util/archive.ts';
import { defaultFrontendDir } from './frontend.ts';

export class FrontendSourceError extends DomainError<'frontend_source_unusable'> {}

/** Largest archive downloaded or read (the login page is well under a megabyte). */
const MAX_ARCHIVE_BYTES = 64 * 1024 * 1024;
const DOWNLOAD_TIMEOUT_MS = 60_000;
const SUBDIR = 'auth-frontend';

/**
 * The login page's directory: `CALIMERO_AUTH_FRONTEND_PATH`, else what `CALIMERO_AUTH_FRONTEND_SRC` names
 * (unpacked under `home` if it is an archive), else our own page.
 */
export async function resolveFrontendDir(home: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const src = env.CALIMERO_AUTH_FRONTEND_SRC?.trim();
  if (env.CALIMERO_AUTH_FRONTEND_PATH?.trim() || !src) return defaultFrontendDir(env);
  try {
    return await prepareFrontend(src, join(resolve(home), SUBDIR));
  } catch (err) {
    const why = err instanceof ArchiveError || err instanceof FrontendSourceError ? err.message : (err as Error).message;
    throw new FrontendSourceError('frontend_source_unusable', `CALIMERO_AUTH_FRONTEND_SRC=${src}: ${why}`, { cause: err });
  }
}

function sha256hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Prepares `src` for serving and returns the directory holding its index.html. */
export async function prepareFrontend(src: string, cacheDir: string): Promise<string> {
  if (/^https?:\/\//i.test(src)) {
    const target = join(cacheDir, `url-${sha256hex(src).slice(0, 16)}`);
    const ready = await siteRoot(target).catch(() => null);
    if (ready) return ready;
    return unpackInto(await download(src), target);
  }
  const path = resolve(src.replace(/^file:\/\//i, ''));
  const st = await stat(path).catch(() => null);
  if (!st) throw new FrontendSourceError('frontend_source_unusable', `no such file or directory: ${path}`);
  if (st.isDirectory()) return siteRoot(path);
  if (st.size > MAX_ARCHIVE_BYTES) throw new FrontendSourceError('frontend_source_unusable', `archive larger than ${MAX_ARCHIVE_BYTES} bytes`);
  const bytes = await readFile(path);
  const target = join(cacheDir, `sha256-${sha256hex(bytes).slice(0, 16)}`);
  const ready = await siteRoot(target).catch(() => null);
  return ready ?? unpackInto(bytes, target);
}

async function download(url: string): Promise<Buffer> {
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
  } catch (err) {
    throw new FrontendSourceError('frontend_source_unusable', `download failed: ${(err as Error).message}`, { cause: err });
  }
  if (res.status !== 200) {
    await res.body?.cancel().catch(() => undefined);
    throw new FrontendSourceError('frontend_source_unusable', `download failed: HTTP ${res.status}`);
  }
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > MAX_ARCHIVE_BYTES) {
    await res.body?.cancel().catch(() => undefined);
    throw new FrontendSourceError('frontend_source_unusable', `archive larger than ${MAX_ARCHIVE_BYTES} bytes`);
  }
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body ?? []) {
    size += chunk.length;
    if (size > MAX_ARCHIVE_BYTES) throw new FrontendSourceError('frontend_source_unusable', `archive larger than ${MAX_ARCHIVE_BYTES} bytes`);
    parts.push(Buffer.from(chunk));
  }
  return Buffer.concat(parts);
}

/**
 * Unpacks into a fresh sibling of `target` and renames it into place, so a crash never leaves a half-unpacked
 * page that a restart would take as ready; earlier unpacked versions beside it are removed.
 */
async function unpackInto(archive: Buffer, target: string): Promise<string> {
  const entries = await readArchive(archive);
  const tmp = `${target}.tmp-${process.pid}-${Date.now()}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    for (const e of entries) {
      const full = join(tmp, e.path);
      if (e.type === 'dir') await mkdir(full, { recursive: true });
      else {
        await mkdir(dirname(full), { recursive: true });
        await writeFile(full, e.data!, { mode: 0o644 });
      }
    }
    await siteRoot(tmp); // fails when there is no index.html
    await rm(target, { recursive: true, force: true });
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  const parent = dirname(target);
  for (const name of await readdir(parent)) {
    if (join(parent, name) !== target) await rm(join(parent, name), { recursive: true, force: true });
  }
  return siteRoot(target);
}

/**
 * The directory with the page's index.html: `dir` itself, or the single folder an archive wraps it in
 * (`build/`, `dist/`, `auth-frontend-1.1.0/build/`…), at most three levels down.
 */
export async function siteRoot(dir: string): Promise<string> {
  let at = dir;
  for (let depth = 0; depth <= 3; depth++) {
    if ((await stat(join(at, 'index.html')).catch(() => null))?.isFile()) return at;
    const subdirs = [];
    for (const e of await readdir(at, { withFileTypes: true })) {
      if (e.isDirectory() && e.name !== '__MACOSX' && !e.name.startsWith('.')) subdirs.push(e.name);
    }
    if (subdirs.length !== 1) break;
    at = join(at, subdirs[0]!);
  }
  throw new FrontendSourceError('frontend_source_unusable', `no index.html in ${dir} (nor in the one folder it holds)`);
}
