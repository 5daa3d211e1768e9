import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ArchiveError, readArchive, safePath } from './archive.ts';
import { tarGz, zip } from '../../test/helpers/archives.ts';

const files = { 'build/index.html': '<!doctype html><title>x</title>', 'build/assets/app.js': 'console.log(1)'.repeat(100) };

test('tar.gz: files and directories, long names through pax and GNU headers, links left out', async () => {
  const long = `build/${'deep/'.repeat(30)}file.txt`;
  const entries = await readArchive(
    tarGz([
      { name: 'build/', type: '5' },
      { name: 'build/index.html', data: files['build/index.html'] },
      { name: 'build/assets/app.js', data: files['build/assets/app.js'] },
      { name: long, data: 'pax', pax: true },
      { name: `${long}.gnu`, data: 'gnu', gnu: true },
      { name: 'build/link', type: '2', linkname: '/etc/passwd' },
      { name: 'build/hard', type: '1', linkname: 'build/index.html' },
      { name: 'build/tty', type: '3' },
      { name: 'build/fifo', type: '6' },
    ]),
  );
  assert.deepEqual(
    entries.map((e) => [e.path, e.type, e.data?.toString()]),
    [
      ['build', 'dir', undefined],
      ['build/index.html', 'file', files['build/index.html']],
      ['build/assets/app.js', 'file', files['build/assets/app.js']],
      [long, 'file', 'pax'],
      [`${long}.gnu`, 'file', 'gnu'],
    ],
  );
});

test('zip: stored and deflated entries, directories, symbolic links left out', async () => {
  const entries = await readArchive(
    zip([
      { name: 'build/', data: '' },
      { name: 'build/index.html', data: files['build/index.html'], deflate: false },
      { name: 'build/assets/app.js', data: files['build/assets/app.js'], deflate: true },
      { name: 'build/link', data: '/etc/passwd', symlink: true },
    ]),
  );
  assert.deepEqual(
    entries.map((e) => [e.path, e.type, e.data?.toString()]),
    [
      ['build', 'dir', undefined],
      ['build/index.html', 'file', files['build/index.html']],
      ['build/assets/app.js', 'file', files['build/assets/app.js']],
    ],
  );
});

test('no entry may leave the archive', async () => {
  for (const evil of ['../x', 'a/../../x', '/etc/passwd', 'C:/x', 'a\\..\\..\\x']) {
    assert.throws(() => safePath(evil), ArchiveError, evil);
    await assert.rejects(readArchive(tarGz([{ name: evil, data: 'x' }])), ArchiveError, evil);
    await assert.rejects(readArchive(zip([{ name: evil, data: 'x' }])), ArchiveError, evil);
  }
  assert.equal(safePath('./build/./index.html'), 'build/index.html');
  assert.equal(safePath('./'), null);
});

test('bad and oversized archives are ArchiveErrors with a reason', async () => {
  const cases: Array<[Buffer, RegExp]> = [
    [Buffer.from('<html>not an archive</html>'), /not a \.tar\.gz or \.zip archive/],
    [Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02]), /not a valid gzip stream/],
    [gzipSync(Buffer.alloc(700, 0x41)), /not a tar archive/],
    [gzipSync(Buffer.concat([Buffer.alloc(148, 0x41), Buffer.from("0000000\0"), Buffer.alloc(356, 0x41)])), /checksum mismatch/],
    [tarGz([{ name: 'a', data: 'x' }]).subarray(0, 30), /gzip/],
    [zip([{ name: 'a', data: 'x' }]).subarray(0, 40), /no end of central directory/],
  ];
  for (const [buf, re] of cases) await assert.rejects(readArchive(buf), (e: unknown) => e instanceof ArchiveError && re.test(e.message), String(re));
  const big = tarGz([{ name: 'a', data: 'x'.repeat(2000) }]);
  await assert.rejects(readArchive(big, { maxBytes: 1000 }), (e: unknown) => e instanceof ArchiveError && e.code === 'archive_too_large');
  const many = zip(Array.from({ length: 5 }, (_, i) => ({ name: `f${i}`, data: 'x' })));
  await assert.rejects(readArchive(many, { maxEntries: 4 }), (e: unknown) => e instanceof ArchiveError && e.code === 'archive_too_large');
  const bomb = zip([{ name: 'a', data: 'x'.repeat(1 << 20), deflate: true }]);
  await assert.rejects(readArchive(bomb, { maxBytes: 1 << 16 }), (e: unknown) => e instanceof ArchiveError && e.code === 'archive_too_large');
});

test('damaged archives: a cut tar, an unknown zip method, a zip entry larger than it claims', async () => {
  const tar = gunzipSync(tarGz([{ name: 'a', data: 'x'.repeat(2000) }]));
  await assert.rejects(readArchive(gzipSync(tar.subarray(0, 1024))), (e: unknown) => e instanceof ArchiveError && /truncated tar archive/.test(e.message));

  const method = zip([{ name: 'a', data: 'x'.repeat(100), deflate: true }]);
  const cd = method.readUInt32LE(method.length - 22 + 16);
  method.writeUInt16LE(12, 8); // bzip2, in the local header
  method.writeUInt16LE(12, cd + 10); // and in the central directory
  await assert.rejects(readArchive(method), (e: unknown) => e instanceof ArchiveError && e.code === 'unsupported_archive' && /method 12/.test(e.message));

  const liar = zip([{ name: 'a', data: 'x'.repeat(1000), deflate: true }]);
  liar.writeUInt32LE(10, liar.readUInt32LE(liar.length - 22 + 16) + 24); // claims 10 bytes once inflated
  await assert.rejects(readArchive(liar), (e: unknown) => e instanceof ArchiveError && e.code === 'bad_archive');
});
