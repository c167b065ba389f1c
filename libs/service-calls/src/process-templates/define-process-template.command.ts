import { ProcessTemplate, ProcessTemplateInput } from '@app/domain';
import { Command } from '@nestjs/cqrs';

export interface DefineProcessTemplateOptions {
  /** `apikey:<name>` */
  actor: string;
  /** same key again (from the same actor, for the same template key) appends nothing and returns the same version */
  idempotencyKey?: string;
  /** refuse with CONFLICT unless the template is at this version (0: the key must be new) */
  expectedVersion?: number;
  now?: Date;
}

export interface DefineProcessTemplateResult {
  template: ProcessTemplate;
  /** global position the read models must reach to show this version */
  position: number;
}

/** Defines a process template: the first version of a new key, the next version of an existing one. */
export class DefineProcessTemplateCommand extends Command<DefineProcessTemplateResult> {
  constructor(
    readonly input: ProcessTemplateInput,
    readonly options: DefineProcessTemplateOptions,
  ) {
    super();
  }
}
