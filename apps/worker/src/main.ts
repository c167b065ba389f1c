import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TemporalWorkerService } from './temporal/temporal-worker.service';
import { WorkerModule } from './worker.module';

/** The worker is a Nest application context (no HTTP): activities are injectable providers. */
async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(WorkerModule, { bufferLogs: false });
  app.enableShutdownHooks();
  // On SIGTERM/SIGINT, Nest's shutdown hooks close the application (the worker stops inside them):
  // closing it here as well would run every hook twice (pools ended twice).
  let signalled = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => (signalled = true));
  const worker = app.get(TemporalWorkerService);
  await worker.start();
  await worker.whenStopped();
  if (!signalled) await app.close(); // the worker stopped by itself
}

main().catch((error) => {
  new Logger('worker').error(error instanceof Error ? error.stack : String(error));
  process.exit(1);
});
