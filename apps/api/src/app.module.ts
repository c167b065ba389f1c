import { ConfigModule, repositoryRoot } from '@app/config';
import { ReadModelsModule } from '@app/read-models';
import { ServiceCallsModule } from '@app/service-calls';
import { MercuriusDriver, MercuriusDriverConfig } from '@nestjs/mercurius';
import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import * as path from 'node:path';
import { ApiKeyGuard } from './auth/api-key.guard';
import { GraphQLErrorPassThrough } from './graphql/error-pass-through.filter';
import { toContractErrors } from './graphql/error-formatter';
import { HealthController } from './health/health.controller';
import { ProcessTemplatesApiModule } from './process-templates/process-templates-api.module';
import { ServiceCallsApiModule } from './service-calls/service-calls-api.module';
import { SubscriptionsModule } from './subscriptions/subscriptions.module';
import { SlaPoliciesApiModule } from './sla-policies/sla-policies-api.module';
import { AgentsApiModule } from './agents/agents-api.module';
import { RoutingApiModule } from './service-calls/routing/routing-api.module';
import { WEBSOCKET_SUBSCRIPTIONS } from './subscriptions/websocket-transport';
import { TemporalClient } from './temporal/temporal-client';

@Module({
  imports: [
    ConfigModule,
    ServiceCallsModule,
    ReadModelsModule.forRoot({ project: true }),
    GraphQLModule.forRoot<MercuriusDriverConfig>({
      driver: MercuriusDriver,
      // Mercurius with graphql-jit: about 3x the throughput of Apollo on this machine (ARCHITECTURE.md)
      jit: 1,
      graphiql: true,
      subscription: WEBSOCKET_SUBSCRIPTIONS,
      autoSchemaFile: path.join(repositoryRoot(), 'schema.gql'),
      sortSchema: true,
      errorFormatter: (execution) => ({
        statusCode: 200,
        response: { data: execution.data ?? null, errors: toContractErrors(execution.errors) },
      }),
    }),
    ServiceCallsApiModule,
    ProcessTemplatesApiModule,
    SlaPoliciesApiModule,
    AgentsApiModule,
    RoutingApiModule,
    SubscriptionsModule,
  ],
  controllers: [HealthController],
  providers: [TemporalClient, { provide: APP_GUARD, useClass: ApiKeyGuard }, { provide: APP_FILTER, useClass: GraphQLErrorPassThrough }],
})
export class AppModule {}
