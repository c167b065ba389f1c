// Runs the built API (dist/, as `npm start` runs it, without Temporal or the worker) in a child
// process for tests that need to look inside it: the test asks over IPC for a provider's member
// (`app.get(Class)[member]`, called with args when it is a method). The API runs here rather than
// inside Jest because Mercurius loads an ES module with import(), which Jest's sandbox refuses.
//
// Environment: DATA_DIR (required) and whatever else AppConfig reads. Exits when the test process
// goes away (the IPC channel closes).
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
const dist = (file) => require(path.join(ROOT, 'dist', file));

require('reflect-metadata');
const { NestFactory } = require('@nestjs/core');
const { FastifyAdapter } = require('@nestjs/platform-fastify');
const { AppModule } = dist('apps/api/src/app.module.js');

const app = await NestFactory.create(AppModule, new FastifyAdapter(), { logger: ['error', 'warn'] });
await app.listen(0, '127.0.0.1');

process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => app.close().finally(() => process.exit(0)));
process.on('message', async ({ id, file, exportName, member, args }) => {
  try {
    const provider = app.get(dist(`${file}.js`)[exportName], { strict: false });
    const value = typeof provider[member] === 'function' ? await provider[member](...(args ?? [])) : provider[member];
    process.send({ id, value: value ?? null });
  } catch (error) {
    process.send({ id, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  }
});
process.send({ ready: true, url: await app.getUrl() });
