import '../polyfills.ts';
import { configExists } from '../config/file.ts';
import { defaultHome, initNode, nodeDir } from '../node/home.ts';
import { exitOnFatal, startNode } from '../app/start.ts';

/**
 * `npm start`: runs the node "default" under the default home, creating it on first run with the embedded
 * defaults (embedded auth with a RocksDB store, server on 127.0.0.1:2528 and [::1]:2528).
 */
const name = process.env.MEROD_NODE ?? 'default';
const dir = nodeDir(defaultHome(), name);
try {
  if (!configExists(dir)) {
    await initNode(dir, { authMode: 'embedded', authStorage: 'persistent' });
    process.stdout.write(`Initialized a new node in ${dir}\n`);
  }
  const running = await startNode(dir, { name });
  exitOnFatal(running);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () =>
      void running.stop().then(
        () => process.exit(0),
        (err: Error) => {
          process.stderr.write(`error during shutdown: ${err.message}\n`);
          process.exit(1);
        },
      ),
    );
  }
} catch (err) {
  process.stderr.write(`error: ${(err as Error).message}\n`);
  process.exit(1);
}
