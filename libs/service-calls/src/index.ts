export * from './service-calls.module';
export * from './commands/service-call-command.processor';
export * from './commands/open-service-call.command';
export * from './commands/change-service-call.command';
export * from './commands/tracking-code';
export * from './process-templates/process-template.catalog';
