import type { CallStatus, Priority } from '@app/domain';
import { Field, Float, ID, Int, ObjectType } from '@nestjs/graphql';
import { DateTime } from '../../graphql/date-time.scalar';
import { CallStatusEnum, PriorityEnum } from '../models/enums';

@ObjectType({ description: 'a call that has been in its phase longer than its own process copy expects' })
export class OverdueCall {
  @Field(() => ID) callId!: string;
  @Field() trackingCode!: string;
  @Field(() => CallStatusEnum) status!: CallStatus;
  @Field(() => PriorityEnum) priority!: Priority;
  @Field(() => String, { nullable: true, description: 'agent id' }) assignee?: string;
  @Field(() => DateTime) phaseStartedAt!: string;
  @Field(() => DateTime, { description: "phaseStartedAt plus the sum of the phase's steps' expected durations in the call's process version" })
  dueAt!: string;
  @Field(() => Float, { description: 'seconds past dueAt at the board’s asOf' }) overdueSeconds!: number;
  @Field({ description: 'overdueSeconds as an ISO 8601 duration, e.g. PT2H30M' }) overdueBy!: string;
}

@ObjectType()
export class PhaseBoardPhase {
  @Field() key!: string;
  @Field() name!: string;
  @Field(() => Int) order!: number;
  @Field(() => Int, { description: 'calls of the process whose ACTIVE phase has this key (any template version)' }) callsInPhase!: number;
  @Field(() => Int, { description: 'READY steps of the calls in this phase' }) stepsReady!: number;
  @Field(() => Int) stepsInProgress!: number;
  @Field(() => Int) stepsFailed!: number;
  @Field(() => DateTime, { nullable: true, description: 'the earliest phase start among the calls in it' }) longestWaitingSince?: string;
  @Field(() => Int, { description: 'completed visits (PhaseStarted -> PhaseCompleted) behind the percentiles' }) completedVisits!: number;
  @Field(() => Float, { nullable: true, description: 'median time calls spent in the phase, seconds (nearest rank); null without visits' })
  medianSeconds?: number;
  @Field(() => String, { nullable: true, description: 'medianSeconds as an ISO 8601 duration' }) medianDuration?: string;
  @Field(() => Float, { nullable: true, description: '90th percentile of the time in the phase, seconds (nearest rank)' }) p90Seconds?: number;
  @Field(() => String, { nullable: true, description: 'p90Seconds as an ISO 8601 duration' }) p90Duration?: string;
  @Field(() => String, {
    nullable: true,
    description: "sum of the phase's steps' expected durations in the latest template (ISO 8601); null when no step has one",
  })
  expectedDuration?: string;
  @Field(() => Int, { description: 'calls in the phase for longer than their own process version expects' }) overdueCount!: number;
  @Field(() => [OverdueCall], { description: 'the first overdueFirst of them, most overdue first' }) overdueCalls!: OverdueCall[];
}

@ObjectType({ description: "managers' view of one process: where its calls are, and how long its phases take" })
export class PhaseBoard {
  @Field() processKey!: string;
  @Field(() => Int, { nullable: true, description: 'the template version the phases come from; null when no template is stored' })
  processVersion?: number;
  @Field(() => DateTime, { description: 'the instant overdue calls are judged at' }) asOf!: string;
  @Field(() => [PhaseBoardPhase], { description: 'the phases of the latest template version, in order' }) phases!: PhaseBoardPhase[];
}
