import { AUTOMATED_ACTIONS } from '@app/domain';
import { Field, Int, ObjectType } from '@nestjs/graphql';
import { DateTime } from '../graphql/date-time.scalar';

// The object types mirror the domain's ProcessTemplate (libs/domain/src/process/process-template.ts):
// resolvers return domain objects as they are.

/** The schema docs of `action`: the contract points integrators here for the list of actions. */
export const ACTION_DESCRIPTION = `which automation runs an automated step; one of: ${AUTOMATED_ACTIONS.map((a) => `"${a.name}" (${a.description})`).join('; ')}`;

@ObjectType({ description: 'a word the procedure uses, and what it means there' })
export class Term {
  @Field() term!: string;
  @Field() definition!: string;
}

@ObjectType()
export class StepTemplate {
  @Field({ description: 'unique within the process' }) key!: string;
  @Field() name!: string;
  @Field(() => String, { nullable: true }) instructions?: string;
  @Field(() => [String], { description: 'keys of steps in the same phase that must be COMPLETED or SKIPPED first' }) dependsOn!: string[];
  @Field({ description: 'true: the system runs it (action names which automation)' }) automated!: boolean;
  @Field(() => String, { nullable: true, description: ACTION_DESCRIPTION }) action?: string;
  @Field(() => String, { nullable: true, description: 'who should do a human step, e.g. "technician"' }) role?: string;
  @Field(() => String, { nullable: true, description: 'ISO 8601 duration, e.g. "PT4H"' }) expectedDuration?: string;
}

@ObjectType({ description: 'phases run one after another; inside a phase, steps run as soon as their dependencies are done' })
export class PhaseTemplate {
  @Field() key!: string;
  @Field() name!: string;
  @Field(() => [StepTemplate]) steps!: StepTemplate[];
}

@ObjectType({ description: "a company's standard operating procedure for one kind of call; each definition of a key is a new version" })
export class ProcessTemplate {
  @Field() key!: string;
  @Field(() => Int) version!: number;
  @Field() title!: string;
  @Field({ description: 'the department that owns the procedure' }) department!: string;
  @Field({ description: 'why the procedure exists' }) purpose!: string;
  @Field(() => [Term]) terms!: Term[];
  @Field(() => [PhaseTemplate]) phases!: PhaseTemplate[];
  @Field(() => DateTime, { description: 'when this version was defined' }) createdAt!: string;
  @Field({ description: 'who defined this version: apikey:<name>, or system for a built-in template' }) definedBy!: string;
}

@ObjectType({ description: 'calls of this category run this template, unless the call names one' })
export class CategoryProcess {
  @Field({ description: 'trimmed and lower-cased: categories match whatever their case' }) category!: string;
  @Field() processKey!: string;
  @Field(() => DateTime) updatedAt!: string;
}
