import { repositoryRoot } from '@app/config';
import { NestFactory } from '@nestjs/core';
import { GraphQLSchemaBuilderModule, GraphQLSchemaFactory } from '@nestjs/graphql';
import {
  buildSchema,
  DangerousChangeType,
  findBreakingChanges,
  findDangerousChanges,
  GraphQLSchema,
  lexicographicSortSchema,
  printSchema,
} from 'graphql';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ProcessTemplatesResolver } from '../process-templates/process-templates.resolver';
import { CompleteStepResolver } from '../service-calls/complete-step/complete-step.resolver';
import { OpenServiceCallResolver } from '../service-calls/open-service-call/open-service-call.resolver';
import { PhaseBoardResolver } from '../service-calls/phase-board/phase-board.resolver';
import { PhaseResolver, ServiceCallResolver } from '../service-calls/queries/service-call.resolver';
import { AftercareResolver } from '../service-calls/aftercare/aftercare.resolver';
import { AddNoteResolver } from '../service-calls/notes/add-note.resolver';
import { StartStepResolver } from '../service-calls/start-step/start-step.resolver';
import { StepExceptionsResolver } from '../service-calls/step-exceptions/step-exceptions.resolver';
import { TrackServiceCallResolver } from '../service-calls/track-service-call/track-service-call.resolver';
import { ProcessAlertsResolver } from '../subscriptions/process-alerts/process-alerts.resolver';
import { ServiceCallUpdatedResolver } from '../subscriptions/service-call-updated/service-call-updated.resolver';

import { SlaPoliciesResolver } from '../sla-policies/sla-policies.resolver';
import { ServiceCallSlaResolver } from '../sla-policies/service-call-sla.resolver';
import { SlaRisksResolver } from '../sla-policies/sla-risks.resolver';
import { SlaAlertsResolver } from '../subscriptions/sla-alerts/sla-alerts.resolver';
import { AgentsResolver } from '../agents/agents.resolver';
import { RoutingResolver, ServiceCallRoutingFieldsResolver } from '../service-calls/routing/routing.resolver';
const RESOLVERS = [OpenServiceCallResolver, StartStepResolver, CompleteStepResolver, StepExceptionsResolver, AddNoteResolver, AftercareResolver, ServiceCallResolver, PhaseResolver, PhaseBoardResolver, TrackServiceCallResolver, ProcessTemplatesResolver, SlaPoliciesResolver, ServiceCallSlaResolver, ServiceCallUpdatedResolver, ProcessAlertsResolver, SlaRisksResolver, SlaAlertsResolver, AgentsResolver, RoutingResolver, ServiceCallRoutingFieldsResolver];

const HEADER = ['# ------------------------------------------------------', '# THIS FILE WAS AUTOMATICALLY GENERATED (DO NOT MODIFY)', '# ------------------------------------------------------'].join('\n');

async function generatedSchema(): Promise<GraphQLSchema> {
  const app = await NestFactory.createApplicationContext(GraphQLSchemaBuilderModule, { logger: false });
  await app.init();
  const schema = await app.get(GraphQLSchemaFactory).create(RESOLVERS);
  await app.close();
  return lexicographicSortSchema(schema);
}

/** The repository's contract (docs/contract.graphql): what integrators build on. */
const contractSchema = (): GraphQLSchema => buildSchema(fs.readFileSync(path.join(repositoryRoot(), 'docs/contract.graphql'), 'utf8'));

/** How `schema` breaks `contract`: removed or retyped types, fields, arguments, enum values; new required inputs; changed defaults. */
function breaks(contract: GraphQLSchema, schema: GraphQLSchema): string[] {
  const defaults = findDangerousChanges(contract, schema).filter((c) => c.type === DangerousChangeType.ARG_DEFAULT_VALUE_CHANGE);
  return [...findBreakingChanges(contract, schema), ...defaults].map((c) => c.description);
}

describe('GraphQL schema', () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await generatedSchema();
  });

  it('the committed schema.gql is what the code generates (UPDATE_SCHEMA=1 npx jest schema, or start the API, to regenerate)', () => {
    const file = path.join(repositoryRoot(), 'schema.gql');
    if (process.env.UPDATE_SCHEMA === '1') fs.writeFileSync(file, `${HEADER}\n\n${printSchema(schema)}`);
    const committed = fs.readFileSync(file, 'utf8').replace(/^#.*\n/gm, '').trim();
    expect(committed).toBe(printSchema(schema).trim());
  });

  it('keeps every type, field, argument, default and enum value of docs/contract.graphql unchanged', () => {
    expect(breaks(contractSchema(), schema)).toEqual([]);
  });

  it('the contract covers the core operations, process templates, the SLA section and the subscriptions', () => {
    const contract = contractSchema();
    const names = (type: 'Query' | 'Mutation' | 'Subscription') => Object.keys(contract.getType(type) ? (contract.getType(type) as { getFields(): object }).getFields() : {});
    expect(names('Query')).toEqual(expect.arrayContaining(['serviceCall', 'serviceCalls', 'trackServiceCall', 'processTemplates', 'slaRisks']));
    expect(names('Mutation')).toEqual(expect.arrayContaining(['openServiceCall', 'completeStep', 'defineProcessTemplate', 'defineSlaPolicy', 'resolveServiceCall', 'recordFeedback']));
    expect(names('Subscription')).toEqual(['slaAlerts', 'serviceCallUpdated']);
  });

  // the check itself can fail: each kind of break an integrator would feel is found
  it.each([
    ['a removed field', (sdl: string) => sdl.replace(/(\ntype ServiceCall \{[^}]*?)\n {2}trackingCode: String!/, '$1'), 'ServiceCall.trackingCode was removed'],
    ['a field made nullable', (sdl: string) => sdl.replace(/^ {2}openedAt: DateTime!$/m, '  openedAt: DateTime'), 'ServiceCall.openedAt changed type'],
    ['a removed enum value', (sdl: string) => sdl.replace(/^ {2}WAITING_ON_CUSTOMER$/m, ''), 'WAITING_ON_CUSTOMER was removed'],
    ['a changed default', (sdl: string) => sdl.replace(/(serviceCalls\([\s\S]*?first: Int = )50/, '$120'), 'Query.serviceCalls arg first has changed defaultValue'],
    ['a new required argument', (sdl: string) => sdl.replace(/trackServiceCall\(trackingCode: String!\)/, 'trackServiceCall(trackingCode: String!, pin: String!)'), 'A required arg pin on Query.trackServiceCall was added'],
  ])('finds %s', (_name, change, expected) => {
    const changed = change(printSchema(schema));
    expect(changed).not.toBe(printSchema(schema));
    expect(breaks(contractSchema(), buildSchema(changed)).join('\n')).toContain(expected);
  });
});
