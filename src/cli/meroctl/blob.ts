/** `meroctl blob …`: upload (streamed), list, download, delete. */
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { client, print, table } from './common.ts';

export function blobCommands(program: Command): void {
  const blob = program.command('blob').description('blobs');
  blob
    .command('upload <file>')
    .description('upload a file (streamed)')
    .option('--hash <base58>', 'expected sha256 of the file')
    .action(async (file: string, o: { hash?: string }) => {
      await stat(file).catch(() => {
        throw new Error(`no such file: ${file}`);
      });
      const r = await (await client()).uploadBlob(createReadStream(file), { hash: o.hash });
      print(r, () => `${r.blob_id}  ${r.size} B`);
    });
  blob
    .command('ls')
    .description('list blobs')
    .action(async () => {
      const all = await (await client()).listBlobs();
      print(all, () => table(all.map((b) => `${b.blob_id}  ${b.size} B`)));
    });
  blob
    .command('get <id>')
    .description('download a blob to stdout or a file')
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .action(async (id: string, o: { out?: string }) => {
      const b = await (await client()).openBlob(id);
      const source = Readable.fromWeb(b.body as import('node:stream/web').ReadableStream<Uint8Array>);
      if (o.out) {
        await pipeline(source, createWriteStream(o.out));
        process.stderr.write(`wrote ${b.size} B to ${o.out}\n`);
      } else {
        await pipeline(source, process.stdout as Writable, { end: false });
      }
    });
  blob
    .command('rm <id>')
    .description('delete a blob')
    .action(async (id: string) => {
      await (await client()).deleteBlob(id);
      print({ deleted: id }, () => `deleted ${id}`);
    });
}
