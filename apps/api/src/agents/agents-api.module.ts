import { Module } from '@nestjs/common';
import { TemplateResults } from '../process-templates/template-results.service';
import { AgentsResolver } from './agents.resolver';

/** Agents over GraphQL: register and change them (managers), read them and their load. */
@Module({ providers: [TemplateResults, AgentsResolver] })
export class AgentsApiModule {}
