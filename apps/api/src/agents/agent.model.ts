import { AGENT_AVAILABILITIES, AGENT_SKILL_KINDS } from '@app/domain';
import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { DateTime } from '../graphql/date-time.scalar';
import { BusinessHours, BusinessHoursInput } from '../sla-policies/sla-policy.model';

const asEnum = <T extends string>(values: readonly T[]) => Object.fromEntries(values.map((v) => [v, v])) as { [K in T]: K };
export const AgentAvailabilityEnum = asEnum(AGENT_AVAILABILITIES);
export const AgentSkillKindEnum = asEnum(AGENT_SKILL_KINDS);
registerEnumType(AgentAvailabilityEnum, {
  name: 'AgentAvailability',
  description: 'AVAILABLE: gets new calls. AWAY: keeps its calls, gets no new ones. OFFLINE: gets none, and its open calls are moved to others',
});
registerEnumType(AgentSkillKindEnum, { name: 'AgentSkillKind', description: 'a skill for a call category or for a product' });

@InputType()
export class AgentSkillInput {
  @Field(() => AgentSkillKindEnum) kind!: string;
  @Field({ description: 'category or product key; compared ignoring case and surrounding spaces' }) key!: string;
  @Field(() => Int, { description: '1 (basic) to 5 (expert)' }) level!: number;
}

@InputType()
export class RegisterAgentInput {
  @Field(() => ID, { nullable: true, description: 'lowercase letters, digits, hyphens; generated (agt_…) when absent' }) id?: string | null;
  @Field() name!: string;
  @Field(() => [String], { description: 'regions covered, e.g. "de-north"; "*" covers every region' }) regions!: string[];
  @Field(() => [AgentSkillInput]) skills!: AgentSkillInput[];
  @Field(() => [String], { description: 'language tags, e.g. "de", "en-gb"' }) languages!: string[];
  @Field(() => [String], { nullable: true, description: "step roles held (templates' step.role), e.g. \"dispatcher\"" }) roles?: string[] | null;
  @Field(() => Int, { description: 'concurrent calls, 1 to 1000' }) capacity!: number;
  @Field(() => BusinessHoursInput, { nullable: true, description: 'null: around the clock' }) workingHours?: BusinessHoursInput | null;
}

@InputType({ description: 'Only the fields given change; workingHours: null means around the clock from now on' })
export class UpdateAgentInput {
  @Field(() => ID) agentId!: string;
  @Field({ nullable: true }) name?: string;
  @Field(() => [String], { nullable: true }) regions?: string[];
  @Field(() => [AgentSkillInput], { nullable: true }) skills?: AgentSkillInput[];
  @Field(() => [String], { nullable: true }) languages?: string[];
  @Field(() => [String], { nullable: true }) roles?: string[];
  @Field(() => Int, { nullable: true }) capacity?: number;
  @Field(() => BusinessHoursInput, { nullable: true }) workingHours?: BusinessHoursInput | null;
}

@InputType()
export class ScheduleAbsenceInput {
  @Field(() => ID) agentId!: string;
  @Field(() => DateTime, { description: 'start (inclusive)' }) from!: string;
  @Field(() => DateTime, { description: 'end (exclusive); later than from and not yet past' }) to!: string;
  @Field() reason!: string;
  @Field(() => ID, { nullable: true, description: "who takes over the agent's calls while away (when eligible)" }) replacementAgentId?: string | null;
}

@InputType()
export class AgentFilter {
  @Field(() => AgentAvailabilityEnum, { nullable: true }) availability?: string | null;
  @Field(() => String, { nullable: true, description: 'covers this region' }) region?: string | null;
  @Field(() => String, { nullable: true, description: 'has a category or product skill with this key' }) skill?: string | null;
  @Field(() => String, { nullable: true, description: 'speaks this language as routing counts it: the same tag or the same primary language ("en" and "en-gb")' }) language?: string | null;
  @Field(() => Boolean, { nullable: true, description: 'true: could take a new call now (AVAILABLE, not absent, in working hours, below capacity)' })
  available?: boolean | null;
}

@ObjectType()
export class AgentSkill {
  @Field(() => AgentSkillKindEnum) kind!: string;
  @Field() key!: string;
  @Field(() => Int) level!: number;
}

@ObjectType()
export class AgentAbsence {
  @Field(() => ID) id!: string;
  @Field(() => DateTime) from!: string;
  @Field(() => DateTime) to!: string;
  @Field() reason!: string;
  @Field(() => ID, { nullable: true }) replacementAgentId!: string | null;
  @Field(() => DateTime, { nullable: true }) cancelledAt!: string | null;
}

@ObjectType({ description: 'An agent: profile, availability, absences and current load' })
export class Agent {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field(() => [String]) regions!: string[];
  @Field(() => [AgentSkill]) skills!: AgentSkill[];
  @Field(() => [String]) languages!: string[];
  @Field(() => [String]) roles!: string[];
  @Field(() => Int) capacity!: number;
  @Field(() => BusinessHours, { nullable: true, description: 'null: around the clock' }) workingHours!: BusinessHours | null;
  @Field(() => AgentAvailabilityEnum) availability!: string;
  @Field(() => [AgentAbsence], { description: 'scheduled absences, cancelled ones included (cancelledAt)' }) absences!: AgentAbsence[];
  @Field(() => DateTime, { nullable: true, description: 'when the agent last took a call' }) lastAssignedAt!: string | null;
  @Field(() => Int, { description: 'events in the agent stream; expectedVersion of the next change' }) version!: number;
  @Field(() => DateTime) registeredAt!: string;
  @Field(() => DateTime) updatedAt!: string;
}

@ObjectType()
export class AgentLoadEntry {
  @Field(() => ID) agentId!: string;
  @Field() name!: string;
  @Field(() => AgentAvailabilityEnum) availability!: string;
  @Field({ description: 'an absence is in force now' }) absent!: boolean;
  @Field(() => Int) openCalls!: number;
  @Field(() => Int) capacity!: number;
  @Field(() => Float, { description: 'openCalls / capacity' }) loadRatio!: number;
  @Field(() => Int, { description: 'calls taken since 00:00 UTC' }) assignmentsToday!: number;
  @Field(() => Float, { nullable: true, description: 'median time from taking a call to releasing it, seconds (nearest rank); null before the first' })
  medianHandlingSeconds!: number | null;
}

@ObjectType({ description: "The team's load now" })
export class AgentLoad {
  @Field(() => [AgentLoadEntry]) agents!: AgentLoadEntry[];
  @Field(() => Float, { description: 'max minus min load ratio over the agents at work (AVAILABLE, not absent)' }) loadSpread!: number;
  @Field(() => Int, { description: 'the same spread in open calls' }) openCallsSpread!: number;
  @Field(() => Int, { description: 'agents the spreads are over' }) agentsAtWork!: number;
  @Field(() => DateTime) at!: string;
}
