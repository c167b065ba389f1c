export * from './read-model.database';
export * from './projection';
export * from './projections';
export * from './projector';
export * from './rebuild-read-models';
export * from './read-models.module';
export * from './service-call-summaries/service-call-summaries.projection';
export * from './service-call-summaries/service-call-summaries.store';
