import { Field, ID, ObjectType } from '@nestjs/graphql';
import { DateTime } from '../../graphql/date-time.scalar';

@ObjectType({ description: 'A step of a call FAILED: a person failed it, or an automated step ran out of retries' })
export class ProcessAlert {
  @Field(() => ID) callId!: string;
  @Field(() => String, { nullable: true }) trackingCode?: string;
  @Field() phaseKey!: string;
  @Field() stepKey!: string;
  @Field({ description: "why it failed: the person's reason, or the automation's last error" }) reason!: string;
  @Field({ description: 'true when the automation ran out of retries (by = workflow)' }) automated!: boolean;
  @Field({ description: 'who failed it: apikey:<name>, or workflow' }) by!: string;
  @Field(() => DateTime) at!: string;
  @Field({ description: 'where this alert stands in the log; subscribe again with after: this cursor to get every alert raised since, none twice' })
  cursor!: string;
}
