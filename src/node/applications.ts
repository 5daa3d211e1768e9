import { realpath, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Batch, type Store } from '../store/store.ts';
import { concat, decodeId, encodeId, hash, ZERO32 } from '../util/ids.ts';
import { BlobError, type BlobStore } from './blobs.ts';
import { KeyedMutex } from '../util/mutex.ts';
import { DomainError } from '../util/errors.ts';
import { latestVersion } from './packages.ts';
import { DestinationNotAllowedError, DownloadError, downloadGuarded, isPublicAddress, type DownloadResponse } from '../util/net-policy.ts';

/** Stored application record (our JSON form of upstream's ApplicationMeta). */
export interface ApplicationMeta {
  bytecode: string;
  compiled: string;
  size: number;
  source: string;
  metadata: number[];
  package: string;
  version: string;
  signerId: string;
  installedAt: number;
}

/** The wire shape (docs/wire.md, Applications). */
export interface ApplicationView {
  id: string;
  blob: { bytecode: string; compiled: string };
  size: number;
  source: string;
  metadata: number[];
}

/**
 * Why an install failed, as the client caused it (bad URL, refused destination, not WASM, too large…) or as the
 * download went (`install_download_failed`), or a concurrent change undid it (`install_conflict`: the module was collected by
 * an uninstall, or the blob installed from was deleted, while the install ran). Answered as upstream's text/plain install errors (src/server/errors.ts).
 */
export type InstallErrorCode = 'install_invalid' | 'install_not_found' | 'install_too_large' | 'install_download_failed' | 'install_conflict';

/** An install failure; `cause` holds internal detail for the node's log (errno, resolved address), never sent. */
export class InstallError extends DomainError<InstallErrorCode> {
  constructor(message: string, code: InstallErrorCode = 'install_invalid', detail?: string) {
    super(code, message, detail === undefined ? undefined : { cause: detail });
  }

  /** The internal detail given at construction, if any. */
  get detail(): string | undefined {
    return typeof this.cause === 'string' ? this.cause : undefined;
  }
}

/** A download failure as the client sees it: 400 for a refused destination, 502 otherwise, no internal detail. */
function downloadFailure(err: unknown, prefix: string): unknown {
  if (err instanceof DestinationNotAllowedError) {
    return new InstallError(
      `${prefix}: ${err.message} (loopback, private and link-local addresses are refused unless [server.admin] allow_private_install_urls = true)`,
      'install_invalid',
      err.detail,
    );
  }
  if (err instanceof DownloadError) return new InstallError(`${prefix}: ${err.message}`, 'install_download_failed', err.detail);
  return err;
}

export const MAX_MODULE_SIZE = 10 * 1024 * 1024;

function u32le(n: number): Uint8Array {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}
function u64le(n: number): Uint8Array {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}

/**
 * ApplicationId of a non-bundle install, as upstream (docs/wire.md, Applications):
 * sha256(blob_id ‖ u64le(size) ‖ u32le(len source) ‖ source ‖ u32le(len metadata) ‖ metadata).
 */
export function applicationId(blobId: Uint8Array, size: number, source: string, metadata: Uint8Array): Uint8Array {
  const src = Buffer.from(source, 'utf8');
  return hash(concat(blobId, u64le(size), u32le(src.length), src, u32le(metadata.length), metadata));
}

/** Re-throws a stream's read error as `map(err)`; errors already meant for the client pass unchanged. */
async function* rethrow(stream: AsyncIterable<Uint8Array>, map: (err: unknown) => unknown): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of stream) yield chunk;
  } catch (err) {
    throw err instanceof InstallError ? err : map(err);
  }
}

/** Package and version of a record written before they were stored: upstream's defaults for a plain module. */
function withDefaults(meta: ApplicationMeta): ApplicationMeta {
  return { ...meta, package: meta.package ?? DEFAULT_PACKAGE, version: meta.version ?? DEFAULT_VERSION };
}

export const DEFAULT_PACKAGE = 'unknown';
export const DEFAULT_VERSION = '0.0.0';

const WASM_MAGIC = Buffer.from([0x00, 0x61, 0x73, 0x6d]);

export class Applications {
  /** Serialises writing an application record with uninstalling one (which may collect the module's blob). */
  private readonly lock = new KeyedMutex();

  constructor(
    private readonly store: Store,
    private readonly blobs: BlobStore,
  ) {}

  /**
   * Installs from an http(s) URL: downloads (bounded), checks the optional sha256, stores and registers.
   *
   * Unless `allowPrivate` (`[server.admin] allow_private_install_urls`), the download may only reach public
   * addresses: loopback, private, link-local… destinations are refused after DNS and on every redirect hop
   * (src/util/net-policy.ts), and so are `file:` URLs (install-dev-application is the path-based route).
   * Failures name no internal detail (no errno, resolved address or port state); `InstallError.detail` has
   * it for the node's log.
   */
  async installFromUrl(
    url: string,
    o: { hash?: Uint8Array; metadata: number[]; package?: string; version?: string },
    policy: { allowPrivate?: boolean } = {},
  ): Promise<Uint8Array> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new InstallError(`invalid URL: ${url}`);
    }
    if (parsed.protocol === 'file:') {
      if (!policy.allowPrivate) {
        throw new InstallError(
          'file: URLs are not accepted by install-application (use install-dev-application, or set [server.admin] allow_private_install_urls = true)',
          'install_invalid',
          `file URL ${parsed.pathname.slice(0, 200)}`,
        );
      }
      let path: string;
      try {
        path = decodeURIComponent(parsed.pathname);
      } catch {
        // `file:///%` and other malformed escapes: the client's error, not a 500 (found by test/fuzz.test.ts).
        throw new InstallError(`invalid file URL: ${url}`);
      }
      return this.installFromPath(path, o);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new InstallError(`unsupported URL scheme \`${parsed.protocol.replace(':', '')}\` (expected http or https)`);
    }
    const failed = 'failed to download the application';
    let res: DownloadResponse;
    try {
      res = await downloadGuarded(parsed, { allowed: policy.allowPrivate ? null : isPublicAddress, signal: AbortSignal.timeout(60_000) });
    } catch (err) {
      throw downloadFailure(err, failed);
    }
    try {
      const declared = Number(res.headers['content-length'] ?? NaN);
      if (declared > MAX_MODULE_SIZE) throw new InstallError(`application is ${declared} bytes; the limit is ${MAX_MODULE_SIZE}`, 'install_too_large');
      const download = rethrow(res.body, (err) => downloadFailure(err, failed));
      return await this.register(download, parsed.toString(), o, Number.isFinite(declared) ? declared : undefined);
    } finally {
      res.close();
    }
  }

  /**
   * Installs a blob this node already stores (the module uploaded with `PUT /admin-api/blobs`); `source` is
   * recorded as given (the blob's URL, so the application id is the one a download of that URL gives). The
   * optional sha256 `hash` is checked, as for a download.
   */
  async installFromBlob(blobId: Uint8Array, source: string, o: { hash?: Uint8Array; metadata: number[]; package?: string; version?: string }): Promise<Uint8Array> {
    const info = await this.blobs.info(blobId);
    const stream = info && (await this.blobs.stream(blobId));
    if (!info || !stream) throw new InstallError(`blob ${encodeId(blobId)} not found on this node`, 'install_not_found');
    if (info.size > MAX_MODULE_SIZE) throw new InstallError(`application is ${info.size} bytes; the limit is ${MAX_MODULE_SIZE}`, 'install_too_large');
    try {
      return await this.register(stream, source, o, info.size);
    } catch (err) {
      // The blob was deleted while it was read (its chunk files went with it).
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new InstallError(`blob ${encodeId(blobId)} was deleted while it was being installed`, 'install_conflict');
      }
      throw err;
    }
  }

  /** Installs a module from the node's filesystem (`install-dev-application`); the source is its file:// URL. */
  async installFromPath(path: string, o: { hash?: Uint8Array; metadata: number[]; package?: string; version?: string }): Promise<Uint8Array> {
    let canonical: string;
    try {
      canonical = await realpath(path);
    } catch {
      throw new InstallError(`application file not found at ${JSON.stringify(path)}`, 'install_not_found');
    }
    const st = await stat(canonical).catch((err: NodeJS.ErrnoException) => {
      throw new InstallError(`cannot read ${JSON.stringify(canonical)}: ${err.code ?? err.message}`);
    });
    if (!st.isFile()) throw new InstallError(`not a regular file: ${JSON.stringify(canonical)}`);
    if (st.size > MAX_MODULE_SIZE) throw new InstallError(`application is ${st.size} bytes; the limit is ${MAX_MODULE_SIZE}`, 'install_too_large');
    // A file the node cannot read (EACCES, or /proc and /sys files that fail on read: EIO, EINVAL) is the
    // client's error, not a 500 (found by test/fuzz.test.ts with /proc/self/clear_refs and /proc/self/mem).
    const file = rethrow(createReadStream(canonical), (err) => {
      const code = (err as NodeJS.ErrnoException).code;
      return code ? new InstallError(`cannot read ${JSON.stringify(canonical)}: ${code}`) : err;
    });
    return this.register(file, pathToFileURL(canonical).toString(), o, st.size);
  }

  private async register(
    body: AsyncIterable<Uint8Array>,
    source: string,
    o: { hash?: Uint8Array; metadata: number[]; package?: string; version?: string },
    expectedSize?: number,
  ): Promise<Uint8Array> {
    // Peek at the magic number so that a non-WASM file never lands in the blob store.
    let first = true;
    const checked = (async function* () {
      for await (const piece of body) {
        if (first && piece.length > 0) {
          first = false;
          if (piece.length < 4 || !Buffer.from(piece.subarray(0, 4)).equals(WASM_MAGIC)) {
            throw new InstallError('the file is not a WebAssembly module (bad magic number)');
          }
        }
        yield piece;
      }
      if (first) throw new InstallError('the file is empty; expected a WebAssembly module');
    })();
    let info;
    try {
      info = await this.blobs.put(checked, { limit: MAX_MODULE_SIZE, expectedHash: o.hash, owner: 'node' });
    } catch (err) {
      if (err instanceof BlobError && err.code === 'hash_mismatch') throw new InstallError(err.message);
      if (err instanceof BlobError && err.code === 'too_large') throw new InstallError(`application exceeds the limit of ${MAX_MODULE_SIZE} bytes`, 'install_too_large');
      throw err;
    }
    if (expectedSize !== undefined && info.size !== expectedSize) {
      throw new InstallError(`expected ${expectedSize} bytes in the stream, found ${info.size}`);
    }
    const metadata = Uint8Array.from(o.metadata);
    const id = applicationId(info.blobId, info.size, source, metadata);
    const meta: ApplicationMeta = {
      bytecode: encodeId(info.blobId),
      compiled: encodeId(ZERO32),
      size: info.size,
      source,
      metadata: o.metadata,
      package: o.package ?? DEFAULT_PACKAGE,
      version: o.version ?? DEFAULT_VERSION,
      signerId: '',
      installedAt: Date.now(),
    };
    if (!(await this.adopt(id, meta))) {
      throw new InstallError('the module was removed while it was being installed; install it again', 'install_conflict');
    }
    return id;
  }

  /**
   * Writes an application's record if its module is stored: under the lock an uninstall collects modules in, so
   * the record cannot land just after the module it names was collected (an uninstall of another application
   * with the same module, whose in-use check did not see this one yet). False when the module is gone.
   * Installs and the sync layer (an application a context from a peer needs) both record through here.
   */
  adopt(id: Uint8Array, meta: ApplicationMeta): Promise<boolean> {
    return this.lock.run('records', async () => {
      if (!(await this.blobs.info(decodeId(meta.bytecode)))) return false;
      await this.store.put('application', id, JSON.stringify(meta));
      return true;
    });
  }

  /** Whether the application is installed (no decoding: every call asks). */
  has(id: Uint8Array): Promise<boolean> {
    return this.store.has('application', id);
  }

  async get(id: Uint8Array): Promise<ApplicationMeta | null> {
    const meta = await this.store.getJson<ApplicationMeta>('application', id);
    return meta && withDefaults(meta);
  }

  async list(): Promise<Array<{ id: Uint8Array; meta: ApplicationMeta }>> {
    const out = [];
    for await (const { key, value } of this.store.iterate('application')) {
      out.push({ id: new Uint8Array(key), meta: withDefaults(JSON.parse(value.toString('utf8')) as ApplicationMeta) });
    }
    return out;
  }

  /** Distinct package names of the installed applications (`unknown` for those installed without one). */
  async packages(): Promise<string[]> {
    return [...new Set((await this.list()).map((a) => a.meta.package))];
  }

  /** Versions installed of a package, one per application (duplicates kept, as upstream). */
  async versions(pkg: string): Promise<string[]> {
    return (await this.list()).filter((a) => a.meta.package === pkg).map((a) => a.meta.version);
  }

  /** The application holding the newest version of a package (src/node/packages.ts), or null. */
  async latest(pkg: string): Promise<{ id: Uint8Array; version: string } | null> {
    const entries = (await this.list()).filter((a) => a.meta.package === pkg).map((a) => ({ id: a.id, version: a.meta.version }));
    return latestVersion(entries);
  }

  /**
   * Removes the record, as upstream. The module's blob goes too only when the node stored it for the install
   * (downloaded or read from a file) and no other application uses it: a blob the user uploaded (the dashboard
   * installs an upload from the node's own blob URL) stays until the user deletes it.
   */
  uninstall(id: Uint8Array): Promise<boolean> {
    return this.lock.run('records', async () => {
      const meta = await this.get(id);
      if (!meta) return false;
      await this.store.commit(new Batch().delete('application', id));
      const inUse = async () => (await this.userOf(meta.bytecode)) !== null;
      await this.blobs.collect(decodeId(meta.bytecode), inUse);
      return true;
    });
  }

  /**
   * Deletes a blob (`DELETE /admin-api/blobs/:id`) unless it is the module of an installed application: that
   * deletion would leave the application unable to start (ours; upstream deletes it). Runs under the lock that
   * installs record in, so an install cannot record the blob just as it goes. `in_use` names the application.
   */
  deleteBlob(blobId: Uint8Array): Promise<{ deleted: boolean; usedBy?: Uint8Array }> {
    return this.lock.run('records', async () => {
      const user = await this.userOf(encodeId(blobId));
      if (user) return { deleted: false, usedBy: user };
      return { deleted: await this.blobs.delete(blobId) };
    });
  }

  /** An installed application whose module is the blob `bytecode` (base58), or null. */
  private async userOf(bytecode: string): Promise<Uint8Array | null> {
    return (await this.list()).find((a) => a.meta.bytecode === bytecode)?.id ?? null;
  }

  /** The module bytes of an installed application. */
  async bytecode(id: Uint8Array): Promise<Uint8Array | null> {
    const meta = await this.get(id);
    if (!meta) return null;
    return this.blobs.read(decodeId(meta.bytecode));
  }

  static view(id: Uint8Array, meta: ApplicationMeta): ApplicationView {
    return {
      id: encodeId(id),
      blob: { bytecode: meta.bytecode, compiled: meta.compiled },
      size: meta.size,
      source: meta.source,
      metadata: meta.metadata,
    };
  }
}
