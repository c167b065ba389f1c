import { ArgsType, Field, ID, Int } from '@nestjs/graphql';

// The arguments every mutation of a call takes, as GraphQL argument types (flat arguments in the schema).

@ArgsType()
export class CallChangeArgs {
  @Field(() => ID) callId!: string;
  @Field(() => Int, { nullable: true, description: 'refuse with CONFLICT unless the call is at this version' }) expectedVersion?: number;
  @Field(() => String, { nullable: true, description: 'the same key again returns the same result and changes nothing' }) idempotencyKey?: string;
}

@ArgsType()
export class CallReasonArgs extends CallChangeArgs {
  @Field() reason!: string;
}

@ArgsType()
export class StepChangeArgs extends CallChangeArgs {
  @Field() stepKey!: string;
}

@ArgsType()
export class StepReasonArgs extends StepChangeArgs {
  @Field() reason!: string;
}
