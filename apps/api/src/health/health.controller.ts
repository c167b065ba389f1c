import { EventStore } from '@app/event-store';
import { Projector, ReadModelConnection } from '@app/read-models';
import { sql } from 'kysely';
import { Controller, Get, HttpException, HttpStatus } from '@nestjs/common';
import { TemporalClient } from '../temporal/temporal-client';

/** 'ok', or what went wrong */
type Check = string;

/** Where this replica's projector stands: its position in the global log, the log's end, and the events between. */
interface ProjectorHealth {
  position: number;
  head: number | null;
  behind: number | null;
  /** why its last batch failed, while it has not applied one since (it retries from its position) */
  failing?: string;
}

/**
 * GET /health: 200 when the event store, the read models and Temporal all answer; 503 otherwise. Also
 * names this replica's part: every API replica runs the projector (one transaction at a time applies
 * each event once; each replica tells its own subscribers), so an API leads nothing alone and waits
 * for no other replica; `projector` says how far behind the log it is.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly store: EventStore,
    private readonly readModels: ReadModelConnection,
    private readonly temporal: TemporalClient,
    private readonly projector: Projector,
  ) {}

  @Get()
  async health(): Promise<{ status: 'ok'; checks: Record<string, Check>; replica: 'api'; leads: string[]; waitingFor: string[]; projector: ProjectorHealth }> {
    let head: number | null = null;
    const checks: Record<string, Check> = {
      eventStore: await probe(async () => (head = await this.store.lastPosition())),
      readModels: await probe(() => sql`select 1`.execute(this.readModels.db)),
      temporal: await probe(() => this.temporal.ping()),
    };
    const position = this.projector.checkpoint;
    const failing = this.projector.failure;
    const part = {
      replica: 'api' as const,
      leads: [],
      waitingFor: [],
      projector: { position, head, behind: head === null ? null : Math.max(0, head - position), ...(failing ? { failing } : {}) },
    };
    if (Object.values(checks).some((c) => c !== 'ok')) {
      throw new HttpException({ status: 'unavailable', checks, ...part }, HttpStatus.SERVICE_UNAVAILABLE);
    }
    return { status: 'ok', checks, ...part };
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
