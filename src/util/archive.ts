/**
 * Readers for the two archive formats web frontends are released as: `.tar.gz` (ustar with pax and GNU long
 * names) and `.zip` (stored or deflated entries). Pure functions over a buffer, on node's zlib only: no
 * dependency of the project reads archives, and these are small. Only regular files and directories are
 * returned; links and devices are left out, and no path may leave the archive's root.
 */
import { gunzipSync, inflateRawSync } from 'node:zlib';
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

/** The archive's format from its first bytes, or null. */
export function archiveKind(buf: Buffer): 'tar.gz' | 'zip' | null {
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) return 'tar.gz';
  if (buf.length >= 4 && buf.readUInt32LE(0) === 0x04034b50) return 'zip';
  if (buf.length >= 4 && buf.readUInt32LE(0) === 0x06054b50) return 'zip'; // an empty zip
  return null;
}

/** Reads a `.tar.gz` or `.zip` archive, telling them apart by their first bytes. */
export function readArchive(buf: Buffer, limits: ArchiveLimits = {}): ArchiveEntry[] {
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

class Budget {
  private bytes = 0;
  private entries = 0;
  constructor(private readonly limits: ArchiveLimits) {}
  take(size: number): void {
    this.bytes += size;
    this.entries += 1;
    if (this.bytes > (this.limits.maxBytes ?? DEFAULT_MAX_BYTES)) {
      throw new ArchiveError('archive_too_large', `unpacks to more than ${this.limits.maxBytes ?? DEFAULT_MAX_BYTES} bytes`);
    }
    if (this.entries > (this.limits.maxEntries ?? DEFAULT_MAX_ENTRIES)) {
      throw new ArchiveError('archive_too_large', `has more than ${this.limits.maxEntries ?? DEFAULT_MAX_ENTRIES} entries`);
    }
  }
}

function push(out: ArchiveEntry[], raw: string, type: 'file' | 'dir', data?: Buffer): void {
  const path = safePath(raw);
  if (path === null) return;
  out.push(type === 'file' ? { path, type, data: data ?? Buffer.alloc(0) } : { path, type });
}

// ---- tar ---------------------------------------------------------------------------------------------------------

function cString(b: Buffer): string {
  const end = b.indexOf(0);
  return b.subarray(0, end < 0 ? b.length : end).toString('utf8');
}

/** A numeric header field: octal text, or GNU base-256 (high bit set). */
function tarNumber(b: Buffer): number {
  if (b[0]! & 0x80) {
    let n = 0;
    for (let i = 1; i < b.length; i++) n = n * 256 + b[i]!;
    return n;
  }
  const text = cString(b).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new ArchiveError('bad_archive', 'not a tar archive (bad numeric field)');
  return parseInt(text, 8);
}

/** `len key=value\n` records of a pax header. */
function paxRecords(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space < 0) break;
    const len = Number(data.subarray(at, space).toString('ascii'));
    if (!Number.isInteger(len) || len <= 0 || at + len > data.length) throw new ArchiveError('bad_archive', 'corrupt pax header');
    const record = data.subarray(space + 1, at + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    at += len;
  }
  return out;
}

/** Reads a gzip-compressed tar archive. */
export function readTarGz(buf: Buffer, limits: ArchiveLimits = {}): ArchiveEntry[] {
  let tar: Buffer;
  try {
    // The tar stream is at most a little larger than its files (headers, padding).
    tar = gunzipSync(buf, { maxOutputLength: (limits.maxBytes ?? DEFAULT_MAX_BYTES) + 64 * 1024 * 1024 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new ArchiveError('archive_too_large', 'unpacks to too many bytes', { cause: err });
    throw new ArchiveError('bad_archive', `not a valid gzip stream: ${(err as Error).message}`, { cause: err });
  }
  return readTar(tar, limits);
}

/** Reads an uncompressed tar archive. */
export function readTar(tar: Buffer, limits: ArchiveLimits = {}): ArchiveEntry[] {
  const out: ArchiveEntry[] = [];
  const budget = new Budget(limits);
  let at = 0;
  let longName: string | undefined;
  let pax = new Map<string, string>();
  while (at + 512 <= tar.length) {
    const h = tar.subarray(at, at + 512);
    if (h.every((b) => b === 0)) return out; // end of archive
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
    if (sum !== tarNumber(h.subarray(148, 156))) throw new ArchiveError('bad_archive', 'not a tar archive (header checksum mismatch)');
    const size = tarNumber(h.subarray(124, 136));
    const type = String.fromCharCode(h[156]!);
    const dataStart = at + 512;
    if (dataStart + size > tar.length) throw new ArchiveError('bad_archive', 'truncated tar archive');
    const data = tar.subarray(dataStart, dataStart + size);
    at = dataStart + Math.ceil(size / 512) * 512;

    if (type === 'x') {
      pax = paxRecords(data);
      continue;
    }
    if (type === 'g') continue; // global pax header: nothing we use
    if (type === 'L') {
      longName = cString(data);
      continue;
    }
    const prefix = h.subarray(257, 263).toString('ascii').startsWith('ustar') ? cString(h.subarray(345, 500)) : '';
    const name = pax.get('path') ?? longName ?? (prefix ? `${prefix}/${cString(h.subarray(0, 100))}` : cString(h.subarray(0, 100)));
    pax = new Map();
    longName = undefined;
    if (type === '0' || type === '\0' || type === '7') {
      budget.take(size);
      push(out, name, 'file', Buffer.from(data));
    } else if (type === '5') {
      budget.take(0);
      push(out, name, 'dir');
    }
    // Links, devices and FIFOs are left out.
  }
  throw new ArchiveError('bad_archive', 'truncated tar archive (no end marker)');
}

// ---- zip ---------------------------------------------------------------------------------------------------------

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** Reads a zip archive through its central directory. */
export function readZip(buf: Buffer, limits: ArchiveLimits = {}): ArchiveEntry[] {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ArchiveError('bad_archive', 'not a zip archive (no end of central directory)');
  const count = buf.readUInt16LE(eocd + 10);
  const cdOffset = buf.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdOffset === 0xffffffff) throw new ArchiveError('unsupported_archive', 'ZIP64 archives are not supported');
  const out: ArchiveEntry[] = [];
  const budget = new Budget(limits);
  let at = cdOffset;
  for (let n = 0; n < count; n++) {
    if (at + 46 > buf.length || buf.readUInt32LE(at) !== CENTRAL) throw new ArchiveError('bad_archive', 'corrupt zip central directory');
    const flags = buf.readUInt16LE(at + 8);
    const method = buf.readUInt16LE(at + 10);
    const compressed = buf.readUInt32LE(at + 20);
    const size = buf.readUInt32LE(at + 24);
    const nameLen = buf.readUInt16LE(at + 28);
    const extraLen = buf.readUInt16LE(at + 30);
    const commentLen = buf.readUInt16LE(at + 32);
    const unixMode = buf.readUInt32LE(at + 38) >>> 16;
    const local = buf.readUInt32LE(at + 42);
    const name = buf.subarray(at + 46, at + 46 + nameLen).toString('utf8');
    at += 46 + nameLen + extraLen + commentLen;

    if (flags & 1) throw new ArchiveError('unsupported_archive', 'encrypted zip entries are not supported');
    if ((unixMode & 0o170000) === 0o120000) continue; // a symbolic link
    if (name.endsWith('/')) {
      budget.take(0);
      push(out, name, 'dir');
      continue;
    }
    budget.take(size);
    if (local + 30 > buf.length || buf.readUInt32LE(local) !== LOCAL) throw new ArchiveError('bad_archive', 'corrupt zip local header');
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    if (start + compressed > buf.length) throw new ArchiveError('bad_archive', 'truncated zip archive');
    const raw = buf.subarray(start, start + compressed);
    let data: Buffer;
    if (method === 0) data = Buffer.from(raw);
    else if (method === 8) {
      try {
        data = inflateRawSync(raw, { maxOutputLength: Math.max(size, 1) });
      } catch (err) {
        throw new ArchiveError('bad_archive', `corrupt zip entry ${JSON.stringify(name)}`, { cause: err });
      }
    } else throw new ArchiveError('unsupported_archive', `zip compression method ${method} is not supported (stored and deflate are)`);
    if (data.length !== size) throw new ArchiveError('bad_archive', `zip entry ${JSON.stringify(name)} has the wrong size`);
    push(out, name, 'file', data);
  }
  return out;
}
