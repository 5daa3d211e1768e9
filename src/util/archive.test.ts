import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { ArchiveError, readArchive, safePath } from './archive.ts';
import { tarGz, zip } from '../../test/helpers/archives.ts';

const files = { 'build/index.html': '<!doctype html><title>x</title>', 'build/assets/app.js': 'console.log(1)'.repeat(100) };

test('tar.gz: files and directories, long names through pax and GNU headers, links left out', () => {
  const long = `build/${'deep/'.repeat(30)}file.txt`;
  const entries = readArchive(
    tarGz([
      { name: 'build/', type: '5' },
      { name: 'build/index.html', data: files['build/index.html'] },
      { name: 'build/assets/app.js', data: files['build/assets/app.js'] },
      { name: long, data: 'pax', pax: true },
      { name: `${long}.gnu`, data: 'gnu', gnu: true },
      { name: 'build/link', type: '2', linkname: '/etc/passwd' },
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

test('zip: stored and deflated entries, directories, symbolic links left out', () => {
  const entries = readArchive(
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

test('no entry may leave the archive', () => {
  for (const evil of ['../x', 'a/../../x', '/etc/passwd', 'C:/x', 'a\\..\\..\\x']) {
    assert.throws(() => safePath(evil), ArchiveError, evil);
    assert.throws(() => readArchive(tarGz([{ name: evil, data: 'x' }])), ArchiveError, evil);
    assert.throws(() => readArchive(zip([{ name: evil, data: 'x' }])), ArchiveError, evil);
  }
  assert.equal(safePath('./build/./index.html'), 'build/index.html');
  assert.equal(safePath('./'), null);
});

test('bad and oversized archives are ArchiveErrors with a reason', () => {
  const cases: Array<[Buffer, RegExp]> = [
    [Buffer.from('<html>not an archive</html>'), /not a \.tar\.gz or \.zip archive/],
    [Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02]), /not a valid gzip stream/],
    [gzipSync(Buffer.alloc(700, 0x41)), /not a tar archive/],
    [gzipSync(Buffer.concat([Buffer.alloc(148, 0x41), Buffer.from("0000000\0"), Buffer.alloc(356, 0x41)])), /checksum mismatch/],
    [tarGz([{ name: 'a', data: 'x' }]).subarray(0, 30), /gzip/],
    [zip([{ name: 'a', data: 'x' }]).subarray(0, 40), /no end of central directory/],
  ];
  for (const [buf, re] of cases) assert.throws(() => readArchive(buf), (e: unknown) => e instanceof ArchiveError && re.test(e.message), String(re));
  const big = tarGz([{ name: 'a', data: 'x'.repeat(2000) }]);
  assert.throws(() => readArchive(big, { maxBytes: 1000 }), (e: unknown) => e instanceof ArchiveError && e.code === 'archive_too_large');
  const many = zip(Array.from({ length: 5 }, (_, i) => ({ name: `f${i}`, data: 'x' })));
  assert.throws(() => readArchive(many, { maxEntries: 4 }), (e: unknown) => e instanceof ArchiveError && e.code === 'archive_too_large');
  const bomb = zip([{ name: 'a', data: 'x'.repeat(1 << 20), deflate: true }]);
  assert.throws(() => readArchive(bomb, { maxBytes: 1 << 16 }), (e: unknown) => e instanceof ArchiveError && e.code === 'archive_too_large');
});
