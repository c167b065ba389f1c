import { Command } from '@nestjs/cqrs';

export interface SetCategoryProcessResult {
  /** false when the category already ran that template (nothing was appended) */
  changed: boolean;
  /** global position the read models must reach to show the mapping */
  position: number;
}

/** Calls of `category` run the latest version of template `processKey`, unless the call names a template itself. */
export class SetCategoryProcessCommand extends Command<SetCategoryProcessResult> {
  constructor(
    readonly category: string,
    readonly processKey: string,
    readonly options: { actor: string; now?: Date },
  ) {
    super();
  }
}
