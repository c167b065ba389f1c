import { Module } from '@nestjs/common';
import { ProcessTemplatesResolver } from './process-templates.resolver';
import { TemplateResults } from './template-results.service';

/** Process templates (SOPs) over GraphQL: define and version them, map call categories to them. */
@Module({ providers: [TemplateResults, ProcessTemplatesResolver] })
export class ProcessTemplatesApiModule {}
