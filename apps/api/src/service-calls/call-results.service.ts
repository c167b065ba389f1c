import { ApiKey, AppConfig } from '@app/config';
import { ServiceCall, ServiceCallCommand } from '@app/domain';
import { Projector } from '@app/read-models';
import { ChangeServiceCallCommand, CommandResult } from '@app/service-calls';
import { Injectable, Logger } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { commandOptions } from './command-options';

/**
 * Read-your-writes: a mutation answers with the call as of its own change, and only once the read
 * models include that change, so a query sent after the answer sees it. The wait is bounded.
 */
@Injectable()
export class CallResults {
  private readonly logger = new Logger('ReadYourWrites');

  constructor(
    private readonly projector: Projector,
    private readonly config: AppConfig,
    private readonly commandBus: CommandBus,
  ) {}

  /** Runs a command on an existing call for an API caller (as their agent, for an AGENT key) and answers with the settled call. */
  async change(
    callId: string,
    command: Exclude<ServiceCallCommand, { type: 'OpenServiceCall' }>,
    caller: ApiKey,
    expectedVersion?: number | null,
    idempotencyKey?: string | null,
  ): Promise<ServiceCall> {
    const result: CommandResult = await this.commandBus.execute(new ChangeServiceCallCommand(callId, command, commandOptions(caller, expectedVersion, idempotencyKey)));
    return this.settle(result);
  }

  async settle(result: CommandResult): Promise<ServiceCall> {
    const reached = await this.projector.waitFor(result.position, this.config.readYourWritesTimeoutMs);
    if (!reached) this.logger.warn(`read models did not reach position ${result.position} in ${this.config.readYourWritesTimeoutMs} ms`);
    return result.call;
  }
}
