import { ASSIGNMENT_TRIGGERS } from '@app/domain';
import { ArgsType, Field, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { DateTime } from '../../graphql/date-time.scalar';
import { CallChangeArgs } from '../call-change.args';

export const AssignmentTriggerEnum = Object.fromEntries(ASSIGNMENT_TRIGGERS.map((v) => [v, v])) as { [K in (typeof ASSIGNMENT_TRIGGERS)[number]]: K };
registerEnumType(AssignmentTriggerEnum, {
  name: 'AssignmentTrigger',
  description: "why the call was (re)assigned: the routing round's cause (OPENED, REROUTE, ASSIGNEE_ABSENT, ASSIGNEE_OFFLINE, REOPENED, QUEUE) or a manager's choice (MANUAL)",
});

@ObjectType()
export class RunnerUp {
  @Field(() => ID) agentId!: string;
  @Field(() => [String]) reasons!: string[];
}

@ObjectType({ description: 'one routing decision or manager assignment, with its reasons' })
export class Assignment {
  @Field(() => ID) agentId!: string;
  @Field(() => ID, { nullable: true }) previousAgentId!: string | null;
  @Field(() => AssignmentTriggerEnum) trigger!: string;
  @Field({ description: 'decided by routing (true) or chosen by a manager (false)' }) automatic!: boolean;
  @Field(() => [String], { description: 'the rules that matched, e.g. region:de-north, category:billing@4, load:1/5, decided-by:load' }) reasons!: string[];
  @Field(() => RunnerUp, { nullable: true, description: 'the agent routing would have picked next' }) runnerUp!: RunnerUp | null;
  @Field(() => String, { nullable: true, description: "a manager's note" }) reason?: string;
  @Field({ description: 'who decided: workflow, or apikey:<name>' }) by!: string;
  @Field(() => DateTime) at!: string;
}

@ObjectType({ description: 'a customer waiting on a voice channel asked to be called back in [windowFrom, windowTo)' })
export class Callback {
  @Field() phone!: string;
  @Field(() => DateTime) windowFrom!: string;
  @Field(() => DateTime) windowTo!: string;
  @Field(() => DateTime) requestedAt!: string;
  @Field(() => String, { nullable: true, description: 'the "call back" step, once an agent took the call' }) stepKey?: string;
  @Field(() => ID, { nullable: true, description: 'the agent who calls back' }) agentId?: string;
}

@ObjectType({ description: 'the callback request of a waiting call' })
export class CallbackWindow {
  @Field() phone!: string;
  @Field(() => DateTime) windowFrom!: string;
  @Field(() => DateTime) windowTo!: string;
}

@ObjectType({ description: 'a call waiting for an agent, in the order the queue is served' })
export class WaitingCall {
  @Field(() => ID) callId!: string;
  @Field() trackingCode!: string;
  @Field(() => DateTime, { nullable: true, description: 'its soonest SLA due time still to meet' }) dueAt!: string | null;
  @Field(() => DateTime) receivedAt!: string;
  @Field(() => DateTime, { description: 'waiting since' }) queuedAt!: string;
  @Field(() => [String], { description: 'why routing found nobody: no-eligible-agent, agents:<n>, <rule>:<count>' }) reasons!: string[];
  @Field() category!: string;
  @Field(() => String, { nullable: true }) region!: string | null;
  @Field(() => String, { nullable: true }) language!: string | null;
  @Field(() => CallbackWindow, { nullable: true }) callback!: CallbackWindow | null;
  @Field(() => Int) version!: number;
}

@ArgsType()
export class AssignServiceCallArgs extends CallChangeArgs {
  @Field(() => ID) agentId!: string;
  @Field(() => String, { nullable: true, description: 'why (kept in the assignment log)' }) reason?: string;
}

@ArgsType()
export class RerouteServiceCallArgs extends CallChangeArgs {
  @Field() reason!: string;
}

@ArgsType()
export class RequestCallbackArgs extends CallChangeArgs {
  @Field({ description: 'international format, e.g. +49 30 1234567' }) phone!: string;
  @Field(() => DateTime) windowFrom!: string;
  @Field(() => DateTime) windowTo!: string;
}
