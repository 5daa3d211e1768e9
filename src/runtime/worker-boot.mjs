// Entry of an execution worker. The runtime is written in TypeScript; when it runs from source (tsx) the
// worker registers tsx itself before loading worker.ts, because loader hooks are not inherited by workers.
import { workerData } from 'node:worker_threads';

if (workerData.entry.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(workerData.entry);
