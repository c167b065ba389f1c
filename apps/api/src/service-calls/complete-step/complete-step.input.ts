import { Field, ID, InputType, Int } from '@nestjs/graphql';

@InputType()
export class CompleteStepInput {
  @Field(() => ID) callId!: string;
  @Field() stepKey!: string;
  @Field(() => String, { nullable: true }) outcome?: string;
  @Field(() => Int, { nullable: true }) expectedVersion?: number;
  @Field(() => String, { nullable: true }) idempotencyKey?: string;
}
