import { EventStore } from '@app/event-store';
import { ReadModelConnection } from '@app/read-models';
import { sql } from 'kysely';
import { Controller, Get, HttpException, HttpStatus } from '@nestjs/common';
import { TemporalClient } from '../temporal/temporal-client';

/** 'ok', or what went wrong */
type Check = string;

/** GET /health: 200 when the event store, the read models and Temporal all answer; 503 otherwise. */
@Controller('health')
export class HealthController {
  constructor(
    private readonly store: EventStore,
    private readonly readModels: ReadModelConnection,
    private readonly temporal: TemporalClient,
  ) {}

  @Get()
  async health(): Promise<{ status: 'ok'; checks: Record<string, Check> }> {
    const checks: Record<string, Check> = {
      eventStore: await probe(() => this.store.lastPosition()),
      readModels: await probe(() => sql`select 1`.execute(this.readModels.db)),
      temporal: await probe(() => this.temporal.ping()),
    };
    if (Object.values(checks).some((c) => c !== 'ok')) {
      throw new HttpException({ status: 'unavailable', checks }, HttpStatus.SERVICE_UNAVAILABLE);
    }
    return { status: 'ok', checks };
  }
}

async function probe(check: () => Promise<unknown>): Promise<Check> {
  try {
    await check();
    return 'ok';
  } catch (error) {
    return `unavailable: ${error instanceof Error ? error.message : String(error)}`;
  }
}
