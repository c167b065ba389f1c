export * from './coordination';
export * from './local.coordination';
export * from './postgres.coordination';
export * from './coordination.module';
