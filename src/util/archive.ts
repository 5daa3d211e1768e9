/**
 * Reading the two archive formats web frontends are released as: `.tar.gz` and `.zip`. The formats themselves
 * are parsed by libraries — `tar-stream` (ustar, pax and GNU long names, base-256 sizes) over node's gunzip
 * stream, and `yauzl` for zip (central directory, stored/deflated entries, ZIP64, entry-size checks) — and
 * this module keeps the policy: only regular files and directories are returned (links, devices and FIFOs are
 * left out), no path may leave the archive's root, the total unpacked bytes and the entry count are capped as
 * entries are read (before their data is inflated), and every failure is an ArchiveError with a code.
 */
import { createGunzip } from 'node:zlib';
import { extract as tarExtract } from 'tar-stream';
import yauzl from 'yauzl';
import { DomainError } from './errors.ts';

export type ArchiveErrorCode = 'bad_archive' | 'archive_too_large' | 'unsupported_archive';
export class ArchiveError extends DomainError<ArchiveErrorCode> {}

export interface ArchiveEntry {
  /** Relative path with `/` separators, no `.`/`..` segments, no leading `/`. */
  path: string;
  type: 'file' | 'dir';
  /** Files only. */
  data?: Buffer;
}

export interface ArchiveLimits {
  /** Total bytes once unpacked (default 256 MiB). */
  maxBytes?: number;
  /** Entries (default 20 000). */
  maxEntries?: number;
}

const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;
const DEFAULT_MAX_ENTRIES = 20_000;
/** How much larger than its files a tar stream may be (headers, padding, entries we skip). */
const TAR_OVERHEAD_BYTES = 64 * 1024 * 1024;

/** The archive's format from its first bytes, or null. */
export function archiveKind(buf: Buffer): 'tar.gz' | 'zip' | null {
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) return 'tar.gz';
  if (buf.length >= 4 && buf.readUInt32LE(0) === 0x04034b50) return 'zip';
  if (buf.length >= 4 && buf.readUInt32LE(0) === 0x06054b50) return 'zip'; // an empty zip
  return null;
}

/** Reads a `.tar.gz` or `.zip` archive, telling them apart by their first bytes. */
export async function readArchive(buf: Buffer, limits: ArchiveLimits = {}): Promise<ArchiveEntry[]> {
  const kind = archiveKind(buf);
  if (kind === 'tar.gz') return readTarGz(buf, limits);
  if (kind === 'zip') return readZip(buf, limits);
  throw new ArchiveError('unsupported_archive', 'not a .tar.gz or .zip archive');
}

/** A member path made safe to join to a directory; null for the root itself. Throws on escapes. */
export function safePath(raw: string): string | null {
  if (raw.includes('\0')) throw new ArchiveError('bad_archive', 'an entry name contains a NUL byte');
  const parts = raw.replace(/\\/g, '/').split('/').filter((p) => p !== '' && p !== '.');
  if (/^[A-Za-z]:/.test(parts[0] ?? '') || parts.includes('..') || raw.startsWith('/')) {
    throw new ArchiveError('bad_archive', `entry ${JSON.stringify(raw.slice(0, 200))} points outside the archive`);
  }
  return parts.length ? parts.join('/') : null;
}

const maxBytes = (limits: ArchiveLimits): number => limits.maxBytes ?? DEFAULT_MAX_BYTES;

/** The entries read so far; `take` is called with an entry's declared size before its data is read. */
class Collector {
  readonly entries: ArchiveEntry[] = [];
  private bytes = 0;
  private count = 0;
  constructor(private readonly limits: ArchiveLimits) {}
  take(size: number): void {
    this.bytes += size;
    this.count += 1;
    if (this.bytes > maxBytes(this.limits)) {
      throw new ArchiveError('archive_too_large', `unpacks to more than ${maxBytes(this.limits)} bytes`);
    }
    if (this.count > (this.limits.maxEntries ?? DEFAULT_MAX_ENTRIES)) {
      throw new ArchiveError('archive_too_large', `has more than ${this.limits.maxEntries ?? DEFAULT_MAX_ENTRIES} entries`);
    }
  }
  dir(raw: string): void {
    const path = safePath(raw);
    if (path !== null) this.entries.push({ path, type: 'dir' });
  }
  /** Adds a file whose data the caller reads only once its name has passed. */
  async file(raw: string, read: () => Promise<Buffer>): Promise<void> {
    const path = safePath(raw);
    const data = await read();
    if (path !== null) this.entries.push({ path, type: 'file', data });
  }
}

async function drain(chunks: AsyncIterable<unknown>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(parts);
}

// ---- tar.gz ------------------------------------------------------------------------------------------------------

/** tar-stream's and zlib's failures as ArchiveErrors. */
function tarError(err: unknown): ArchiveError {
  if (err instanceof ArchiveError) return err;
  const message = (err as Error).message;
  if (/^Invalid tar header\. /.test(message)) return new ArchiveError('bad_archive', 'not a tar archive (header checksum mismatch)', { cause: err });
  if (/^Unexpected end of data/.test(message)) return new ArchiveError('bad_archive', 'truncated tar archive', { cause: err });
  return new ArchiveError('bad_archive', `not a tar archive (${message})`, { cause: err });
}

/** Reads a gzip-compressed tar archive. */
export async function readTarGz(buf: Buffer, limits: ArchiveLimits = {}): Promise<ArchiveEntry[]> {
  const gunzip = createGunzip();
  // Old (v7) headers without the ustar magic are read too, as they always were.
  const extract = tarExtract({ allowUnknownFormat: true } as Parameters<typeof tarExtract>[0]);
  const fail = (err: ArchiveError): void => {
    gunzip.destroy();
    extract.destroy(err);
  };
  gunzip.on('error', (err) => fail(new ArchiveError('bad_archive', `not a valid gzip stream: ${err.message}`, { cause: err })));
  // The tar stream's size is capped as it is inflated: skipped entries and padding count too.
  let inflated = 0;
  gunzip.on('data', (chunk: Buffer) => {
    inflated += chunk.length;
    if (inflated > maxBytes(limits) + TAR_OVERHEAD_BYTES) fail(new ArchiveError('archive_too_large', 'unpacks to too many bytes'));
  });
  gunzip.pipe(extract);
  gunzip.end(buf);

  const out = new Collector(limits);
  try {
    for await (const entry of extract) {
      const { name, size, type } = entry.header;
      if (type === 'file' || type === 'contiguous-file') {
        out.take(size);
        await out.file(name, () => drain(entry));
      } else {
        entry.resume(); // links, devices and FIFOs are left out
        if (type === 'directory') {
          out.take(0);
          out.dir(name);
        }
      }
    }
  } catch (err) {
    throw tarError(err);
  } finally {
    gunzip.destroy();
  }
  return out.entries;
}

// ---- zip ---------------------------------------------------------------------------------------------------------

/** yauzl's failures as ArchiveErrors. */
function zipError(err: unknown): ArchiveError {
  if (err instanceof ArchiveError) return err;
  const message = (err as Error).message;
  if (/end of central directory record signature not found/i.test(message)) {
    return new ArchiveError('bad_archive', 'not a zip archive (no end of central directory)', { cause: err });
  }
  if (/not supported/.test(message)) return new ArchiveError('unsupported_archive', `unsupported zip archive: ${message}`, { cause: err });
  return new ArchiveError('bad_archive', `corrupt zip archive: ${message}`, { cause: err });
}

/** The next central-directory entry, or null after the last. */
function nextEntry(zip: yauzl.ZipFile): Promise<yauzl.Entry | null> {
  return new Promise((resolve, reject) => {
    const done = (): void => void zip.off('entry', onEntry).off('end', onEnd).off('error', onError);
    const onEntry = (entry: yauzl.Entry): void => (done(), resolve(entry));
    const onEnd = (): void => (done(), resolve(null));
    const onError = (err: Error): void => (done(), reject(err));
    zip.on('entry', onEntry).on('end', onEnd).on('error', onError);
    zip.readEntry();
  });
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

/** Reads a zip archive through its central directory. */
export async function readZip(buf: Buffer, limits: ArchiveLimits = {}): Promise<ArchiveEntry[]> {
  let zip: yauzl.ZipFile;
  try {
    // Names are decoded here (not by yauzl) so that they pass through safePath like tar's.
    zip = await yauzl.fromBufferPromise(buf, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true });
  } catch (err) {
    throw zipError(err);
  }
  const out = new Collector(limits);
  try {
    for (let entry = await nextEntry(zip); entry; entry = await nextEntry(zip)) {
      const e = entry;
      const name = yauzl.getFileNameLowLevel(e.generalPurposeBitFlag, e.fileNameRaw, e.extraFields, false);
      if (e.isEncrypted()) throw new ArchiveError('unsupported_archive', 'encrypted zip entries are not supported');
      if (((e.externalFileAttributes >>> 16) & S_IFMT) === S_IFLNK) continue; // a symbolic link
      if (name.endsWith('/')) {
        out.take(0);
        out.dir(name);
        continue;
      }
      out.take(e.uncompressedSize);
      if (e.compressionMethod !== 0 && e.compressionMethod !== 8) {
        throw new ArchiveError('unsupported_archive', `zip compression method ${e.compressionMethod} is not supported (stored and deflate are)`);
      }
      await out.file(name, async () => drain(await zip.openReadStreamPromise(e)));
    }
  } catch (err) {
    throw zipError(err);
  } finally {
    zip.close();
  }
  return out.entries;
}
