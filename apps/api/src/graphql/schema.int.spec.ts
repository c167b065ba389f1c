import { repositoryRoot } from '@app/config';
import { NestFactory } from '@nestjs/core';
import { GraphQLSchemaBuilderModule, GraphQLSchemaFactory } from '@nestjs/graphql';
import {
  buildSchema,
  GraphQLEnumType,
  GraphQLInputObjectType,
  GraphQLObjectType,
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

/** The SDL blocks of CONTRACT.md from one section heading up to the next one named. */
function contractSdl(from: string, to: string): string {
  const contract = fs.readFileSync(path.join(repositoryRoot(), '../shared/design/CONTRACT.md'), 'utf8');
  const section = contract.slice(contract.indexOf(`## ${from}`), contract.indexOf(`## ${to}`));
  return [...section.matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1]).join('\n');
}

const coreSdl = () => contractSdl('Core types', 'Process templates');
/** It extends the core (`extend type Query`, ServiceCall), so it is built on top of it. */
const processTemplatesSdl = () => contractSdl('Process templates', 'SLA, escalation');

/** What the contract's SDL has that ours lacks or types differently: types, fields, arguments and their defaults, enum values. */
function mismatches(schema: GraphQLSchema, contract: GraphQLSchema): string[] {
  const found: string[] = [];
  for (const type of Object.values(contract.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    const ours = schema.getType(type.name);
    if (!ours) {
      found.push(`missing type ${type.name}`);
      continue;
    }
    if (type instanceof GraphQLEnumType) {
      const values = (ours as GraphQLEnumType).getValues().map((v) => v.name);
      for (const v of type.getValues()) if (!values.includes(v.name)) found.push(`${type.name}.${v.name} missing`);
    }
    if (type instanceof GraphQLObjectType || type instanceof GraphQLInputObjectType) {
      const fields = (ours as GraphQLObjectType).getFields();
      for (const [name, field] of Object.entries(type.getFields())) {
        const mine = fields[name];
        if (!mine) found.push(`${type.name}.${name} missing`);
        else if (String(mine.type) !== String(field.type)) found.push(`${type.name}.${name}: ${mine.type} instead of ${field.type}`);
        const args = 'args' in field ? field.args : [];
        for (const arg of args) {
          const myArg = (mine as unknown as { args?: readonly { name: string; type: unknown; defaultValue?: unknown }[] })?.args?.find((a) => a.name === arg.name);
          if (!myArg) found.push(`${type.name}.${name}(${arg.name}) missing`);
          else if (String(myArg.type) !== String(arg.type)) found.push(`${type.name}.${name}(${arg.name}): ${myArg.type} instead of ${arg.type}`);
          else if (arg.defaultValue !== undefined && myArg.defaultValue !== arg.defaultValue) found.push(`${type.name}.${name}(${arg.name}) default differs`);
        }
      }
    }
  }
  return found;
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

  it("contains the contract's core types, fields, arguments and enum values unchanged", () => {
    expect(mismatches(schema, buildSchema(coreSdl()))).toEqual([]);
  });

  it("contains the contract's process-template types and operations unchanged (skipStep ... addNote, NoteKind included)", () => {
    expect(mismatches(schema, buildSchema(`${coreSdl()}\n${processTemplatesSdl()}`))).toEqual([]);
  });

  it("contains the SLA section's policy types, defineSlaPolicy and ServiceCall.sla unchanged", () => {
    // the SLA section is the last one: up to the end of the file
    const sla = contractSdl('SLA, escalation', 'NEVER');
    const block = (kind: string, name: string) => new RegExp(`${kind} ${name} \\{[\\s\\S]*?\\}`).exec(sla)?.[0];
    const blocks = [['enum', 'SlaState'], ['enum', 'Weekday'], ['type', 'Sla'], ['input', 'OpeningHoursInput'], ['input', 'BusinessHoursInput'], ['input', 'SlaPolicyInput']].map(([k, n]) => block(k!, n!));
    const define = /defineSlaPolicy\([^)]*\): \w+!?/.exec(sla)?.[0];
    expect([...blocks, define]).not.toContain(undefined);
    const sdl = `${coreSdl()}\n${blocks.join('\n')}\nextend type Mutation { ${define} }\nextend type ServiceCall { sla: Sla! }`;
    expect(mismatches(schema, buildSchema(sdl))).toEqual([]);
  });

  it("contains the SLA section's slaRisks query, SlaAlert type and slaAlerts subscription unchanged", () => {
    const sla = contractSdl('SLA, escalation', 'NEVER');
    const alert = /type SlaAlert \{[^}]*\}/.exec(sla)?.[0];
    const risks = /slaRisks\([^)]*\): [\w[\]!]+/.exec(sla)?.[0];
    const subscription = /slaAlerts: \w+!?/.exec(sla)?.[0];
    expect([alert, risks, subscription]).not.toContain(undefined);
    const sdl = `${coreSdl()}\nenum SlaState { ON_TRACK AT_RISK BREACHED MET PAUSED }\n${alert}\nextend type Query { ${risks} }\ntype Subscription { ${subscription} }`;
    expect(mismatches(schema, buildSchema(sdl))).toEqual([]);
  });

  it("contains the SLA section's serviceCallUpdated subscription unchanged", () => {
    const contract = fs.readFileSync(path.join(repositoryRoot(), '../shared/design/CONTRACT.md'), 'utf8');
    const field = /serviceCallUpdated\([^)]*\): \w+!?/.exec(contract)?.[0];
    expect(field).toBeDefined();
    expect(mismatches(schema, buildSchema(`${coreSdl()}\ntype Subscription { ${field} }`))).toEqual([]);
  });
});
