import { Module } from '@nestjs/common';
import { TemplateResults } from '../process-templates/template-results.service';
import { ServiceCallSlaResolver } from './service-call-sla.resolver';
import { SlaPoliciesResolver } from './sla-policies.resolver';
import { SlaRisksResolver } from './sla-risks.resolver';

/** SLA policies over GraphQL: define them and list them (managers only), each call's SLA, and the calls at risk. */
@Module({ providers: [TemplateResults, SlaPoliciesResolver, ServiceCallSlaResolver, SlaRisksResolver] })
export class SlaPoliciesApiModule {}
