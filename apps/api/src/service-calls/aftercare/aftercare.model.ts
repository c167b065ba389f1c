import type { Channel, ContactPurpose } from '@app/domain';
import { CONTACT_PURPOSES } from '@app/domain';
import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { DateTime } from '../../graphql/date-time.scalar';
import { ChannelEnum } from '../models/enums';

export const ContactPurposeEnum = Object.fromEntries(CONTACT_PURPOSES.map((p) => [p, p])) as { [K in ContactPurpose]: K };
registerEnumType(ContactPurposeEnum, { name: 'ContactPurpose' });

@ObjectType()
export class Compensation {
  @Field({ description: 'e.g. refund, voucher, free month' }) kind!: string;
  @Field(() => Float, { nullable: true }) amount?: number;
  @Field(() => String, { nullable: true, description: 'ISO 4217, e.g. EUR' }) currency?: string;
  @Field(() => String, { nullable: true }) description?: string;
}

@ObjectType({ description: 'the complaint record: how the call was solved' })
export class Resolution {
  @Field() agreedSolution!: string;
  @Field({ description: 'carried out at once (true), or promised by `promisedBy`' }) implemented!: boolean;
  @Field(() => DateTime, { nullable: true }) promisedBy?: string;
  @Field(() => Compensation, { nullable: true }) compensation?: Compensation;
  @Field(() => String, { nullable: true }) rootCause?: string;
  @Field(() => String, { nullable: true }) preventionSuggestion?: string;
  @Field({ description: 'who recorded it' }) resolvedBy!: string;
  @Field(() => DateTime, { description: 'when it was recorded' }) resolvedAt!: string;
}

@ObjectType()
export class Feedback {
  @Field() satisfied!: boolean;
  @Field(() => Int, { nullable: true, description: '1..5' }) score?: number;
  @Field(() => Boolean, { nullable: true }) wouldBuyAgain?: boolean;
  @Field(() => String, { nullable: true }) comment?: string;
  @Field() by!: string;
  @Field(() => DateTime) at!: string;
}

@ObjectType({ description: 'a contact with the customer the system scheduled, and what came of it' })
export class Contact {
  @Field(() => ID) id!: string;
  @Field(() => ContactPurposeEnum) purpose!: ContactPurpose;
  @Field(() => ChannelEnum) channel!: Channel;
  @Field(() => DateTime) scheduledFor!: string;
  @Field(() => DateTime, { nullable: true }) sentAt?: string;
  @Field(() => String, { nullable: true }) outcome?: string;
}

@ObjectType()
export class Escalation {
  @Field() reason!: string;
  @Field() by!: string;
  @Field({ description: 'by the system (an SLA breach), not by a person' }) automatic!: boolean;
  @Field(() => DateTime) at!: string;
}

@ObjectType({ description: 'a time the call waited for the customer' })
export class Pause {
  @Field() reason!: string;
  @Field(() => DateTime) from!: string;
  @Field(() => DateTime, { nullable: true }) to?: string;
}

@InputType()
export class CompensationInput {
  @Field() kind!: string;
  @Field(() => Float, { nullable: true }) amount?: number;
  @Field(() => String, { nullable: true }) currency?: string;
  @Field(() => String, { nullable: true }) description?: string;
}

@InputType()
export class ResolutionInput {
  @Field(() => ID) callId!: string;
  @Field() agreedSolution!: string;
  @Field() implemented!: boolean;
  @Field(() => DateTime, { nullable: true }) promisedBy?: string;
  @Field(() => CompensationInput, { nullable: true }) compensation?: CompensationInput;
  @Field(() => String, { nullable: true }) rootCause?: string;
  @Field(() => String, { nullable: true }) preventionSuggestion?: string;
  @Field(() => Int, { nullable: true }) expectedVersion?: number;
  @Field(() => String, { nullable: true }) idempotencyKey?: string;
}

@InputType()
export class FeedbackInput {
  @Field(() => ID) callId!: string;
  @Field() satisfied!: boolean;
  @Field(() => Int, { nullable: true, description: '1..5' }) score?: number;
  @Field(() => Boolean, { nullable: true }) wouldBuyAgain?: boolean;
  @Field(() => String, { nullable: true }) comment?: string;
  @Field(() => String, { nullable: true }) idempotencyKey?: string;
  @Field(() => Int, { nullable: true }) expectedVersion?: number;
}
