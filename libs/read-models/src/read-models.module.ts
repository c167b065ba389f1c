import { AppConfig } from '@app/config';
import { EventStore } from '@app/event-store';
import { DynamicModule, Global, Inject, Injectable, Logger, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Projector } from './projector';
import { closeReadModelDatabase, openReadModelDatabase, ReadModelDatabase } from './read-model.database';
import { ServiceCallSummariesStore } from './service-call-summaries/service-call-summaries.store';
import { ProcessTemplatesStore } from './process-templates/process-templates.store';
import { PhaseBoardStore } from './phase-board/phase-board.store';
import { SlaPoliciesStore } from './sla-policies/sla-policies.store';
import { SlaRisksStore } from './sla-risks/sla-risks.store';
import { AgentsStore } from './agents/agents.store';
import { RoutingAgentsStore } from './agents/routing-agents.store';
import { RoutingQueueStore } from './routing-queue/routing-queue.store';

/** Class token for the read-model database handle. */
export abstract class ReadModelConnection {
  abstract readonly db: ReadModelDatabase;
}

@Injectable()
class ProjectorLifecycle implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Projector');
  constructor(@Inject(Projector) private readonly projector: Projector) {}

  async onModuleInit(): Promise<void> {
    await this.projector.start((error) => this.logger.error(`projection failed at position ${this.projector.checkpoint}; resuming: ${String(error)}`));
    this.logger.log(`projecting from position ${this.projector.checkpoint}`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.projector.stop();
  }
}

/**
 * The read side. `forRoot({ project: true })` also runs the projector (the API process does);
 * the worker only reads.
 */
@Global()
@Module({})
export class ReadModelsModule implements OnApplicationShutdown {
  constructor(@Inject(ReadModelConnection) private readonly connection: ReadModelConnection) {}

  /** After the projector stopped (its hook runs first, the module's own last): checkpoint and close the file. */
  async onApplicationShutdown(): Promise<void> {
    await closeReadModelDatabase(this.connection.db);
  }

  static forRoot(options: { project: boolean }): DynamicModule {
    const connection = {
      provide: ReadModelConnection,
      inject: [AppConfig],
      useFactory: async (config: AppConfig): Promise<ReadModelConnection> => ({ db: await openReadModelDatabase(config.readModelLocation) }),
    };
    // every store is a plain class over the database
    const stores = [ServiceCallSummariesStore, ProcessTemplatesStore, PhaseBoardStore, SlaPoliciesStore, SlaRisksStore, AgentsStore, RoutingQueueStore, RoutingAgentsStore];
    const storeProviders = stores.map((Store) => ({
      provide: Store,
      inject: [ReadModelConnection],
      useFactory: (c: ReadModelConnection) => new Store(c.db),
    }));
    const projector = {
      provide: Projector,
      inject: [ReadModelConnection, EventStore],
      useFactory: (c: ReadModelConnection, events: EventStore) => new Projector(c.db, events),
    };
    return {
      module: ReadModelsModule,
      providers: [connection, ...storeProviders, ...(options.project ? [projector, ProjectorLifecycle] : [])],
      exports: [ReadModelConnection, ...stores, ...(options.project ? [Projector] : [])],
    };
  }
}
