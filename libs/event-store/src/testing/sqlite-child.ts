/**
 * A second process for sqlite.event-store.int.spec.ts, compiled on the fly by @swc/core (see runChild).
 * MODE=append: prints `ready`, waits for a line on stdin (so that several children start together), then
 *   appends EVENTS_PER_APPEND events COUNT times (0 = until killed) to STREAM_ID, retrying on conflicts.
 *   Prints each acknowledged version on its own line only after the append returned, and at the end
 *   `conflicts <n>`.
 * MODE=subscribe-then-close: subscribes, appends, waits for delivery, then closes the store without
 *   stopping the subscription: the process must then exit on its own.
 */
import { EventData, WrongExpectedVersionError } from '../event-store.port';
import { SqliteEventStore } from '../sqlite.event-store';

const env = process.env;
const store = new SqliteEventStore({ path: env.DB_PATH ?? '' });
const streamId = env.STREAM_ID ?? 'child';

async function appendLoop(count: number, perAppend: number): Promise<void> {
  const events: EventData[] = Array.from({ length: perAppend }, (_, i) => ({
    type: 'Appended',
    data: { pid: process.pid, i },
    metadata: { at: new Date().toISOString() },
  }));
  process.stdout.write('ready\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  process.stdin.destroy();
  let version = (await store.readStream(streamId)).length;
  let conflicts = 0;
  for (let done = 0; count === 0 || done < count; ) {
    try {
      version = (await store.appendToStream(streamId, events, version)).nextVersion;
      done += 1;
      process.stdout.write(`${version}\n`); // a pipe write is synchronous on Linux: nothing buffered in-process
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError)) throw error;
      version = error.actual;
      conflicts += 1;
    }
  }
  process.stdout.write(`conflicts ${conflicts}\n`);
}

async function subscribeThenClose(): Promise<void> {
  let delivered = false;
  store.subscribeToAll(() => {
    delivered = true;
  });
  await store.appendToStream(streamId, [{ type: 'Appended', data: {}, metadata: { at: '' } }], 'any');
  while (!delivered) await new Promise((resolve) => setTimeout(resolve, 1));
}

async function main(): Promise<void> {
  if (env.MODE === 'append') await appendLoop(Number(env.COUNT ?? 0), Number(env.EVENTS_PER_APPEND ?? 1));
  else await subscribeThenClose();
  await store.close();
  process.stdout.write('done\n');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
