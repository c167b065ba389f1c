import { SlaPolicy, SlaPolicyInput } from '@app/domain';
import { Command } from '@nestjs/cqrs';

export interface DefineSlaPolicyOptions {
  /** `apikey:<name>` */
  actor: string;
  now?: Date;
}

export interface DefineSlaPolicyResult {
  policy: SlaPolicy;
  version: number;
  /** global position the read models must reach to show this definition */
  position: number;
}

/** Defines an SLA policy; the same key again replaces it for calls opened from now on. */
export class DefineSlaPolicyCommand extends Command<DefineSlaPolicyResult> {
  constructor(
    readonly input: SlaPolicyInput,
    readonly options: DefineSlaPolicyOptions,
  ) {
    super();
  }
}
