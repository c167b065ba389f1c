import { Module } from '@nestjs/common';
import { TemplateResults } from '../process-templates/template-results.service';
import { ServiceCallSlaResolver } from './service-call-sla.resolver';
import { SlaPoliciesResolver } from './sla-policies.resolver';

/** SLA policies over GraphQL: define them and list them (managers only). */
@Module({ providers: [TemplateResults, SlaPoliciesResolver, ServiceCallSlaResolver] })
export class SlaPoliciesApiModule {}
