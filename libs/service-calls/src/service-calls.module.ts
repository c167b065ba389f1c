import { AppConfig } from '@app/config';
import { createEventStore, EventStore } from '@app/event-store';
import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { ChangeServiceCallHandler } from './commands/change-service-call.handler';
import { OpenServiceCallHandler } from './commands/open-service-call.handler';
import { ServiceCallCommandProcessor } from './commands/service-call-command.processor';
import { ServiceCallRepository } from './commands/service-call.repository';
import { BuiltInTemplatesSeeder } from './process-templates/built-in-templates.seeder';
import { DefineProcessTemplateHandler } from './process-templates/define-process-template.handler';
import { ProcessTemplateCatalog } from './process-templates/process-template.catalog';
import { SetCategoryProcessHandler } from './process-templates/set-category-process.handler';
import { DefaultSlaPolicySeeder } from './sla-policies/default-sla-policy.seeder';
import { DefineSlaPolicyHandler } from './sla-policies/define-sla-policy.handler';
import { SlaPolicyCatalog } from './sla-policies/sla-policy.catalog';
import { AgentRepository } from './agents/agent.repository';
import { ChangeAgentHandler } from './agents/change-agent.handler';
import { RegisterAgentHandler } from './agents/register-agent.handler';
import { AssignServiceCallHandler } from './routing/assign-service-call.handler';
import { UnassignServiceCallHandler } from './routing/unassign-service-call.handler';
import * as fs from 'node:fs';

/** The service-call write side, shared by the API and the worker: one command bus, one set of handlers. */
@Global()
@Module({
  imports: [CqrsModule.forRoot()],
  providers: [
    {
      provide: EventStore,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => {
        fs.mkdirSync(config.dataDir, { recursive: true });
        return createEventStore({
          eventStoreConnectionString: config.eventStoreConnectionString,
          sqlitePath: config.eventStorePath,
          synchronous: config.sqliteSynchronous,
        });
      },
    },
    ServiceCallCommandProcessor,
    ServiceCallRepository,
    ProcessTemplateCatalog,
    OpenServiceCallHandler,
    ChangeServiceCallHandler,
    DefineProcessTemplateHandler,
    SetCategoryProcessHandler,
    // before the first call can open: the built-in templates become version 1 of their streams
    BuiltInTemplatesSeeder,
    SlaPolicyCatalog,
    DefineSlaPolicyHandler,
    // every call finds a policy: the built-in `default` is stored at first start
    DefaultSlaPolicySeeder,
    AgentRepository,
    RegisterAgentHandler,
    ChangeAgentHandler,
    // a call's and an agent's stream together: assignment and unassignment (routing's and a manager's)
    AssignServiceCallHandler,
    UnassignServiceCallHandler,
  ],
  exports: [EventStore, CqrsModule, ProcessTemplateCatalog, SlaPolicyCatalog, AgentRepository, ServiceCallRepository],
})
export class ServiceCallsModule implements OnApplicationShutdown {
  constructor(@Inject(EventStore) private readonly store: EventStore) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
