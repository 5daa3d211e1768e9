import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../store/store.ts';
import { Channel } from '../util/channel.ts';
import { BlobError, BlobStore, CHUNK_SIZE } from './blobs.ts';
import { blobIdOf } from '../runtime/host/blobs.ts';

async function withStore(fn: (blobs: BlobStore, dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'merod-blobs-'));
  const store = await Store.open(join(dir, 'data'));
  try {
    await fn(new BlobStore(store, join(dir, 'blobs')), join(dir, 'blobs'));
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

test('expectedId: content that does not hash to the requested id is refused and leaves nothing behind', async () => {
  await withStore(async (blobs, dir) => {
    const data = Buffer.alloc(CHUNK_SIZE + 10, 7);
    const wrongId = blobIdOf(Buffer.from('something else'));
    await assert.rejects(blobs.put(data, { expectedId: wrongId }), (e: unknown) => e instanceof BlobError && e.code === 'hash_mismatch');
    assert.equal(await blobs.info(blobIdOf(data)), null);
    assert.deepEqual(await blobs.list(), []);
    assert.deepEqual(await readdir(dir), [], 'the chunk files written before the check are removed');
  });
});

test('expectedId: a blob streamed in pieces through a channel is stored under the id it was asked for', async () => {
  await withStore(async (blobs) => {
    const data = Buffer.alloc(2 * CHUNK_SIZE + 3);
    for (let i = 0; i < data.length; i++) data[i] = i % 251;
    const id = blobIdOf(data);
    const ch = new Channel<Uint8Array>();
    const put = blobs.put(ch, { expectedId: id, limit: data.length });
    for (let off = 0; off < data.length; off += 65_536) await ch.push(data.subarray(off, off + 65_536));
    ch.end();
    const info = await put;
    assert.deepEqual(Buffer.from(info.blobId), Buffer.from(id));
    assert.ok((await blobs.read(id))!.equals(data));
  });
});

test('a stream over the limit is refused while it arrives, and the producer is stopped', async () => {
  await withStore(async (blobs) => {
    const ch = new Channel<Uint8Array>();
    const put = blobs.put(ch, { limit: 100 });
    await ch.push(new Uint8Array(80));
    const over = ch.push(new Uint8Array(80));
    await assert.rejects(put, (e: unknown) => e instanceof BlobError && e.code === 'too_large');
    await over.catch(() => undefined);
    await assert.rejects(ch.push(new Uint8Array(1)), /consumer stopped/);
  });
});

test('a chunk found stored while an upload arrives is not lost when its last other user is deleted meanwhile', async () => {
  await withStore(async (blobs) => {
    const chunk = Buffer.alloc(CHUNK_SIZE, 3);
    const first = await blobs.put(chunk);
    const ch = new Channel<Uint8Array>();
    const put = blobs.put(ch);
    await ch.push(chunk);
    await ch.push(Buffer.from('tail')); // taken only once the first chunk has been handled
    assert.equal(await blobs.delete(first.blobId), true);
    ch.end();
    const second = await put;
    assert.ok((await blobs.read(second.blobId))!.equals(Buffer.concat([chunk, Buffer.from('tail')])));
  });
});

test('concurrent uploads of the same content, half of them refused: every accepted one reads back; nothing staged is left', async () => {
  await withStore(async (blobs, dir) => {
    const data = Buffer.alloc(CHUNK_SIZE + 100, 9);
    const wrong = new Uint8Array(32);
    const results = await Promise.allSettled(
      Array.from({ length: 16 }, (_, i) => blobs.put(data, i % 2 ? { expectedHash: wrong } : {})),
    );
    assert.deepEqual(
      results.map((r) => r.status),
      Array.from({ length: 16 }, (_, i) => (i % 2 ? 'rejected' : 'fulfilled')),
    );
    const id = blobIdOf(data);
    assert.ok((await blobs.read(id))!.equals(data));
    assert.equal((await readdir(dir)).length, 2, 'two chunk files, no staged copies');
    assert.equal(await blobs.delete(id), true);
    assert.deepEqual(await readdir(dir), []);
  });
});

test('sweep removes chunk files an interrupted upload staged, and nothing else', async () => {
  await withStore(async (blobs, dir) => {
    const kept = await blobs.put(Buffer.from('kept'));
    const before = await readdir(dir);
    await writeFile(join(dir, `${before[0]}.staged-1-abc`), 'half');
    assert.equal(await blobs.sweep(), 1);
    assert.deepEqual(await readdir(dir), before);
    assert.equal((await blobs.read(kept.blobId))!.toString(), 'kept');
  });
});
