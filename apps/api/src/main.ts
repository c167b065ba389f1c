import 'reflect-metadata';
import { AppConfig } from '@app/config';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';

async function main(): Promise<void> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter({ bodyLimit: 1024 * 1024 }), {
    logger: ['error', 'warn', 'log'],
  });
  app.enableShutdownHooks();
  const config = app.get(AppConfig);
  await app.listen(config.port, '0.0.0.0');
  new Logger('api').log(`GraphQL endpoint: http://localhost:${config.port}/graphql (GraphiQL: http://localhost:${config.port}/graphiql)`);
}

main().catch((error) => {
  new Logger('api').error(error instanceof Error ? error.stack : String(error));
  process.exit(1);
});
