import 'reflect-metadata';
import { AppConfig } from '@app/config';
import { createEventStore } from '@app/event-store';
import { closeReadModelDatabase, openReadModelDatabase, rebuildReadModels } from '@app/read-models';

/** `npm run rebuild-read-models`: recreates the read models from the event log, showing progress. Stop the API first. */
async function main(): Promise<void> {
  const config = new AppConfig();
  const store = createEventStore({
    eventStoreConnectionString: config.eventStoreConnectionString,
    sqlitePath: config.eventStorePath,
    synchronous: config.sqliteSynchronous,
  });
  const db = await openReadModelDatabase(config.readModelLocation);
  const started = Date.now();
  let lastPrint = 0;
  const result = await rebuildReadModels(db, store, (p) => {
    const now = Date.now();
    if (now - lastPrint < 250 && p.position < p.total) return;
    lastPrint = now;
    const share = p.total ? p.position / p.total : 1;
    const bar = '#'.repeat(Math.round(share * 30)).padEnd(30, '.');
    const rate = Math.round(p.applied / Math.max(0.001, (now - started) / 1000));
    process.stdout.write(`\r[${bar}] ${(share * 100).toFixed(0).padStart(3)}%  ${p.applied.toLocaleString('en')} events  ${rate.toLocaleString('en')}/s `);
  });
  process.stdout.write('\n');
  const { calls } = await db.selectFrom('service_calls').select((eb) => eb.fn.countAll<number>().as('calls')).executeTakeFirstOrThrow();
  console.log(`rebuilt read models from ${result.applied.toLocaleString('en')} events in ${((Date.now() - started) / 1000).toFixed(1)} s: ${calls} calls`);
  await closeReadModelDatabase(db);
  await store.close();
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
