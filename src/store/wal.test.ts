import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wal } from './wal.ts';

test('syncs cover the writes noted before they began; uncovered() is null once all are', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wal-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, '000001.log');
  writeFileSync(file, 'x');
  const wal = new Wal(async () => file);
  assert.equal(wal.uncovered(), null);
  wal.noteWrite();
  const pending = wal.uncovered();
  assert.ok(pending);
  await pending;
  assert.equal(wal.uncovered(), null);
  assert.equal(wal.syncCount, 1);
  await wal.close();
});

test('a failed sync is final: it is reported once, and nothing is durable afterwards, even if a later sync succeeds', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wal-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const good = join(dir, '000002.log');
  writeFileSync(good, 'x');
  // fdatasync on a procfs file fails with EINVAL: a real failing sync, as a failing disk would give.
  let path = '/proc/self/stat';
  const reported: Error[] = [];
  const wal = new Wal(async () => path, (err) => reported.push(err));
  wal.noteWrite();
  await assert.rejects(wal.durable(), /a WAL sync failed .*EINVAL|a WAL sync failed/);
  path = good; // the file would sync now: still nothing is durable
  wal.noteWrite();
  await assert.rejects(wal.durable(), /restarted/);
  await assert.rejects(wal.uncovered()!, /restarted/);
  assert.equal(reported.length, 1);
  assert.ok(wal.failed);
  await wal.close();
});

test('a WAL file that RocksDB still names but that does not exist fails the sync (never a silent "durable")', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wal-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const wal = new Wal(async () => join(dir, 'missing', '000003.log'));
  wal.noteWrite();
  await assert.rejects(wal.durable(), /does not exist/);
  assert.ok(wal.failed);
});

test('a WAL file retired between naming and opening: the newer file RocksDB names then is synced', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wal-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const newer = join(dir, '000005.log');
  writeFileSync(newer, 'x');
  const names = [join(dir, '000004.log'), newer];
  const wal = new Wal(async () => names.shift() ?? newer);
  wal.noteWrite();
  await wal.durable();
  assert.equal(wal.failed, null);
  assert.equal(wal.uncovered(), null);
  await wal.close();
});
