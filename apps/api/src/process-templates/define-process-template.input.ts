import { Field, InputType, Int } from '@nestjs/graphql';
import { ACTION_DESCRIPTION } from './process-template.model';

@InputType()
export class TermInput {
  @Field() term!: string;
  @Field() definition!: string;
}

@InputType()
export class StepTemplateInput {
  @Field({ description: 'lowercase letters, digits and hyphens; unique within the process' }) key!: string;
  @Field() name!: string;
  @Field(() => String, { nullable: true }) instructions?: string;
  @Field(() => [String], { nullable: true, description: 'keys of steps in the same phase; default none' }) dependsOn?: string[];
  @Field(() => Boolean, { nullable: true, description: 'default false' }) automated?: boolean;
  @Field(() => String, { nullable: true, description: `required for automated steps, refused on others; ${ACTION_DESCRIPTION}` }) action?: string;
  @Field(() => String, { nullable: true }) role?: string;
  @Field(() => String, { nullable: true, description: 'ISO 8601 duration in weeks, days, hours, minutes or seconds, e.g. "PT4H"' }) expectedDuration?: string;
}

@InputType()
export class PhaseTemplateInput {
  @Field({ description: 'lowercase letters, digits and hyphens; unique within the process' }) key!: string;
  @Field() name!: string;
  @Field(() => [StepTemplateInput]) steps!: StepTemplateInput[];
}

@InputType()
export class DefineProcessTemplateInput {
  @Field({ description: 'lowercase letters, digits and hyphens; an existing key gets its next version' }) key!: string;
  @Field() title!: string;
  @Field() department!: string;
  @Field() purpose!: string;
  @Field(() => [TermInput], { nullable: true }) terms?: TermInput[];
  @Field(() => [PhaseTemplateInput]) phases!: PhaseTemplateInput[];
  @Field(() => String, { nullable: true, description: 'same key again returns the version it defined and appends nothing' })
  idempotencyKey?: string;
  @Field(() => Int, { nullable: true, description: 'refuse with CONFLICT unless the template is at this version (0: the key must be new)' })
  expectedVersion?: number;
}
