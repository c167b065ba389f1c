import { AppConfig } from '@app/config';
import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Connection } from '@temporalio/client';

/** The API's own Temporal connection, lazy so the API can start before Temporal answers. */
@Injectable()
export class TemporalClient implements OnApplicationShutdown {
  private readonly connection: Connection;

  constructor(config: AppConfig) {
    this.connection = Connection.lazy({ address: config.temporalAddress });
  }

  async ping(): Promise<void> {
    await this.connection.withDeadline(Date.now() + 2000, () => this.connection.workflowService.getSystemInfo({}));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.connection.close().catch(() => undefined);
  }
}
