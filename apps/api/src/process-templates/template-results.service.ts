import { AppConfig } from '@app/config';
import { Projector } from '@app/read-models';
import { Injectable, Logger } from '@nestjs/common';

/**
 * Read-your-writes for template mutations: answer once the read models include the change, so a
 * `processTemplate` query sent after the answer shows it. The wait is bounded.
 */
@Injectable()
export class TemplateResults {
  private readonly logger = new Logger('ReadYourWrites');

  constructor(
    private readonly projector: Projector,
    private readonly config: AppConfig,
  ) {}

  async settle<T>(position: number, answer: T): Promise<T> {
    const reached = await this.projector.waitFor(position, this.config.readYourWritesTimeoutMs);
    if (!reached) this.logger.warn(`read models did not reach position ${position} in ${this.config.readYourWritesTimeoutMs} ms`);
    return answer;
  }
}
