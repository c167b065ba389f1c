import { BUILT_IN_TEMPLATES, DEFAULT_PROCESS_KEY, ProcessTemplate, ValidationError } from '@app/domain';
import { Injectable } from '@nestjs/common';

/**
 * Which process a new call runs. Today: the built-in templates. Managers' own versioned templates and
 * category mappings (issue 3) replace this lookup without changing its callers.
 */
@Injectable()
export class ProcessTemplateCatalog {
  async resolve(processKey: string | undefined, _category: string): Promise<ProcessTemplate> {
    const key = processKey ?? DEFAULT_PROCESS_KEY;
    const template = BUILT_IN_TEMPLATES.find((t) => t.key === key);
    if (!template) throw new ValidationError('processKey', `unknown process template "${key}"`);
    return template;
  }
}
