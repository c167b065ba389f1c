import type { CallStatus, Channel, NoteKind, PhaseStatus, Priority, StepStatus } from '@app/domain';
import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import { DateTime } from '../../graphql/date-time.scalar';
import { CallStatusEnum, ChannelEnum, NoteKindEnum, PhaseStatusEnum, PriorityEnum, StepStatusEnum } from './enums';

// The object types mirror the domain's ServiceCall (libs/domain/src/service-call/service-call.types.ts):
// resolvers return domain objects as they are; derived fields (progress, history) are resolved fields.

@ObjectType()
export class Customer {
  @Field() name!: string;
  @Field(() => String, { nullable: true }) phone?: string;
  @Field(() => String, { nullable: true }) email?: string;
  @Field(() => String, { nullable: true }) address?: string;
  @Field(() => ChannelEnum, { nullable: true }) preferredChannel?: Channel;
}

@ObjectType()
export class Step {
  @Field({ description: "unique within the call's process" }) key!: string;
  @Field() name!: string;
  @Field(() => StepStatusEnum) status!: StepStatus;
  @Field(() => [String], { description: 'step keys that must be COMPLETED (or SKIPPED) first' }) dependsOn!: string[];
  @Field({ description: 'run by the system (an activity), not by a person' }) automated!: boolean;
  @Field(() => String, { nullable: true, description: 'which automation runs an automated step' }) action?: string;
  @Field(() => String, { nullable: true, description: 'who should do a human step, e.g. technician' }) role?: string;
  @Field(() => String, { nullable: true }) instructions?: string;
  @Field(() => String, { nullable: true, description: 'ISO 8601 duration' }) expectedDuration?: string;
  @Field(() => String, { nullable: true, description: 'agent id' }) assignee?: string;
  @Field(() => Int, { description: '1 for the first try; each retryStep adds one' }) attempt!: number;
  @Field(() => DateTime, { nullable: true }) readyAt?: string;
  @Field(() => DateTime, { nullable: true }) startedAt?: string;
  @Field(() => DateTime, { nullable: true }) completedAt?: string;
  @Field(() => DateTime, { nullable: true }) failedAt?: string;
  @Field(() => DateTime, { nullable: true }) skippedAt?: string;
  @Field(() => String, { nullable: true, description: 'the result of a COMPLETED step, or why it was FAILED or SKIPPED' }) outcome?: string;
}

@ObjectType()
export class Phase {
  @Field() key!: string;
  @Field() name!: string;
  @Field(() => Int) order!: number;
  @Field(() => PhaseStatusEnum) status!: PhaseStatus;
  @Field(() => DateTime, { nullable: true }) startedAt?: string;
  @Field(() => DateTime, { nullable: true }) completedAt?: string;
  @Field(() => [Step]) steps!: Step[];
}

@ObjectType({ description: "one entry of the call's interaction log" })
export class Note {
  @Field(() => ID) id!: string;
  @Field(() => NoteKindEnum) kind!: NoteKind;
  @Field() text!: string;
  @Field({ description: 'who wrote it, e.g. apikey:<name>' }) author!: string;
  @Field(() => DateTime) at!: string;
}

@ObjectType()
export class CallEvent {
  @Field({ description: 'PascalCase, past tense, e.g. StepCompleted' }) type!: string;
  @Field(() => Int) version!: number;
  @Field(() => DateTime) at!: string;
  @Field({ description: "the event's JSON payload as text" }) data!: string;
}

// named apart from the domain's ServiceCall (what resolvers return); the GraphQL type keeps its name
@ObjectType('ServiceCall')
export class ServiceCallModel {
  @Field(() => ID) id!: string;
  @Field({ description: 'given to the customer; unguessable' }) trackingCode!: string;
  @Field(() => Int, { description: "number of events in the call's stream; use as expectedVersion" }) version!: number;
  @Field(() => CallStatusEnum) status!: CallStatus;
  @Field(() => PriorityEnum) priority!: Priority;
  @Field(() => ChannelEnum) channel!: Channel;
  @Field({ description: 'nature of the complaint / request' }) category!: string;
  @Field(() => String, { nullable: true }) product?: string;
  @Field(() => String, { nullable: true }) region?: string;
  @Field() summary!: string;
  @Field(() => String, { nullable: true }) description?: string;
  @Field(() => Customer) customer!: Customer;
  @Field(() => String, { nullable: true, description: 'employee who took the call' }) receivedBy?: string;
  @Field(() => DateTime, { description: 'when the customer raised it; SLA clocks start here' }) receivedAt!: string;
  @Field(() => String, { nullable: true, description: 'agent id' }) assignee?: string;
  @Field(() => DateTime, { description: 'when it was recorded here' }) openedAt!: string;
  @Field(() => DateTime, { nullable: true }) resolvedAt?: string;
  @Field(() => DateTime, { nullable: true }) closedAt?: string;
  @Field(() => DateTime, { nullable: true, description: 'when it was last reopened' }) reopenedAt?: string;
  @Field({ description: 'the process template (SOP) the call runs' }) processKey!: string;
  @Field(() => Int, { description: 'the version of the template the call started with and keeps' }) processVersion!: number;
  @Field(() => [Phase]) phases!: Phase[];
  @Field(() => [Note], { description: 'the interaction log, oldest first: meetings, customer feedback, internal notes' }) notes!: Note[];
  @Field(() => DateTime) updatedAt!: string;
}

@ObjectType()
export class ServiceCallConnection {
  @Field(() => [ServiceCallModel]) nodes!: ServiceCallModel[];
  @Field(() => String, { nullable: true }) endCursor?: string;
  @Field() hasNextPage!: boolean;
}

@ObjectType({ description: 'what a customer may see: no personal data, no internal notes' })
export class PublicPhase {
  @Field() name!: string;
  @Field(() => PhaseStatusEnum) status!: PhaseStatus;
}

@ObjectType()
export class PublicCallStatus {
  @Field() trackingCode!: string;
  @Field(() => CallStatusEnum) status!: CallStatus;
  @Field(() => [PublicPhase]) phases!: PublicPhase[];
  @Field(() => DateTime) updatedAt!: string;
}
