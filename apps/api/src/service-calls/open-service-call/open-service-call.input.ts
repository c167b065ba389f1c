import type { Channel, Priority } from '@app/domain';
import { Field, InputType } from '@nestjs/graphql';
import { DateTime } from '../../graphql/date-time.scalar';
import { ChannelEnum, PriorityEnum } from '../models/enums';

@InputType()
export class CustomerInput {
  @Field() name!: string;
  @Field(() => String, { nullable: true }) phone?: string;
  @Field(() => String, { nullable: true }) email?: string;
  @Field(() => String, { nullable: true }) address?: string;
  @Field(() => ChannelEnum, { nullable: true }) preferredChannel?: Channel;
}

@InputType()
export class OpenServiceCallInput {
  @Field(() => String, { nullable: true, description: 'same key again returns the same call and appends nothing' })
  idempotencyKey?: string;
  @Field(() => ChannelEnum) channel!: Channel;
  @Field(() => PriorityEnum, { nullable: true, defaultValue: 'NORMAL' }) priority?: Priority;
  @Field() category!: string;
  @Field(() => String, { nullable: true }) product?: string;
  @Field(() => String, { nullable: true }) region?: string;
  @Field(() => String, { nullable: true, description: "the customer's language, e.g. de or en-GB (routing prefers agents who speak it)" }) language?: string;
  @Field() summary!: string;
  @Field(() => String, { nullable: true }) description?: string;
  @Field(() => CustomerInput) customer!: CustomerInput;
  @Field(() => String, { nullable: true }) receivedBy?: string;
  @Field(() => DateTime, { nullable: true, description: 'when the customer raised it; default now, never in the future' })
  receivedAt?: string;
  @Field(() => String, { nullable: true, description: 'default: the template mapped to the category, else standard-complaint' })
  processKey?: string;
}
