import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TemporalWorkerService } from './temporal/temporal-worker.service';
import { WorkerModule } from './worker.module';

/** The worker is a Nest application context (no HTTP): activities are injectable providers. */
async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(WorkerModule, { bufferLogs: false });
  app.enableShutdownHooks();
  const worker = app.get(TemporalWorkerService);
  await worker.start();
  await worker.whenStopped();
  await app.close();
}

main().catch((error) => {
  new Logger('worker').error(error instanceof Error ? error.stack : String(error));
  process.exit(1);
});
