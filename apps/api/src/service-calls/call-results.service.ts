import { AppConfig } from '@app/config';
import { ServiceCall } from '@app/domain';
import { Projector } from '@app/read-models';
import { CommandResult } from '@app/service-calls';
import { Injectable, Logger } from '@nestjs/common';

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
  ) {}

  async settle(result: CommandResult): Promise<ServiceCall> {
    const reached = await this.projector.waitFor(result.position, this.config.readYourWritesTimeoutMs);
    if (!reached) this.logger.warn(`read models did not reach position ${result.position} in ${this.config.readYourWritesTimeoutMs} ms`);
    return result.call;
  }
}
