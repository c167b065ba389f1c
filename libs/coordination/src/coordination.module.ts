import { AppConfig } from '@app/config';
import { Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { Coordination } from './coordination';
import { LocalCoordination } from './local.coordination';
import { PostgresCoordination } from './postgres.coordination';

/** Closes the coordination (resigning what this process leads) when the application stops. */
@Injectable()
class CoordinationShutdown implements OnApplicationShutdown {
  constructor(private readonly coordination: Coordination) {}

  onApplicationShutdown(): Promise<void> {
    return this.coordination.close();
  }
}

/**
 * The replicas' coordination: PostgreSQL advisory locks when DATABASE_URL is set (several API and worker
 * replicas), else this process leads everything (the embedded default, one process of each kind).
 */
// AppConfig comes from the application's global ConfigModule (or a test's own configuration)
@Module({
  providers: [
    {
      provide: Coordination,
      inject: [AppConfig],
      useFactory: (config: AppConfig): Coordination => {
        if (!config.databaseUrl) return new LocalCoordination();
        const logger = new Logger('Coordination');
        return new PostgresCoordination({ connectionString: config.databaseUrl, log: (message) => logger.log(message) });
      },
    },
    CoordinationShutdown,
  ],
  exports: [Coordination],
})
export class CoordinationModule {}
