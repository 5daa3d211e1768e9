/**
 * Minimal archive writers for tests (src/util/archive.test.ts, src/auth/frontend-source.test.ts): just enough
 * of ustar (with pax and GNU long names) and zip (stored or deflated) to feed the readers.
 */
import { deflateRawSync, gzipSync } from 'node:zlib';

export interface TarSpec {
  name: string;
  data?: string | Buffer;
  /** '0' file (default), '5' directory, '1' hard link, '2' symbolic link, '3' character device, '6' FIFO. */
  type?: '0' | '5' | '1' | '2' | '3' | '6';
  linkname?: string;
  /** Write the name in a pax header (else the 100-byte field, truncated). */
  pax?: boolean;
  /** Write the name in a GNU `L` header. */
  gnu?: boolean;
}

function header(name: string, size: number, type: string, linkname = ''): Buffer {
  const h = Buffer.alloc(512);
  h.write(name.slice(0, 100), 0, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(size.toString(8).padStart(11, '0') + '\0', 124);
  h.write('00000000000\0', 136);
  h.write(type, 156);
  h.write(linkname, 157);
  h.write('ustar\0', 257);
  h.write('00', 263);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return h;
}

function padded(data: Buffer): Buffer {
  return Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
}

export function tarGz(specs: TarSpec[]): Buffer {
  const parts: Buffer[] = [];
  for (const s of specs) {
    const data = Buffer.from(s.data ?? '');
    if (s.pax) {
      const body = `path=${s.name}\n`;
      let len = body.length + 3;
      while (`${len} ${body}`.length !== len) len = `${len} ${body}`.length;
      const rec = Buffer.from(`${len} ${body}`);
      parts.push(header('PaxHeader', rec.length, 'x'), padded(rec));
    } else if (s.gnu) {
      const rec = Buffer.from(`${s.name}\0`);
      parts.push(header('././@LongLink', rec.length, 'L'), padded(rec));
    }
    parts.push(header(s.name, data.length, s.type ?? '0', s.linkname), padded(data));
  }
  parts.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(parts));
}

export interface ZipSpec {
  name: string;
  data: string | Buffer;
  deflate?: boolean;
  symlink?: boolean;
}

export function zip(specs: ZipSpec[]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const s of specs) {
    const name = Buffer.from(s.name);
    const data = Buffer.from(s.data);
    const body = s.deflate ? deflateRawSync(data) : data;
    const method = s.deflate ? 8 : 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(0x0314, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(method, 10);
    cd.writeUInt32LE(body.length, 20);
    cd.writeUInt32LE(data.length, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt32LE(((s.symlink ? 0o120777 : 0o100644) << 16) >>> 0, 38);
    cd.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    central.push(cd, name);
    offset += local.length + name.length + body.length;
  }
  const cdBuf = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(specs.length, 8);
  end.writeUInt16LE(specs.length, 10);
  end.writeUInt32LE(cdBuf.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cdBuf, end]);
}
