import { SLA_TARGETS } from '@app/domain';
import { Field, ID, ObjectType, registerEnumType } from '@nestjs/graphql';
import { DateTime } from '../../graphql/date-time.scalar';
import { SlaStateEnum } from '../../sla-policies/sla-policy.model';

export const SlaTargetEnum = Object.fromEntries(SLA_TARGETS.map((t) => [t, t])) as { [K in (typeof SLA_TARGETS)[number]]: K };
registerEnumType(SlaTargetEnum, { name: 'SlaTarget', description: 'which SLA target of a call: the first response or the resolution' });

@ObjectType({ description: "A call's SLA target became AT_RISK (warnAt of it elapsed) or BREACHED (its due time passed; the call is escalated)" })
export class SlaAlert {
  @Field(() => ID) callId!: string;
  @Field(() => SlaStateEnum, { description: 'AT_RISK or BREACHED' }) kind!: 'AT_RISK' | 'BREACHED';
  @Field(() => DateTime, { description: 'the due time of the target when the alert was raised' }) dueAt!: string;
  @Field(() => DateTime, { description: 'when it was raised' }) at!: string;
  @Field(() => SlaTargetEnum) target!: (typeof SLA_TARGETS)[number];
  @Field(() => String, { nullable: true }) trackingCode?: string;
  @Field(() => ID, { description: 'sla:<callId>:<target>:<kind>:<dueAt>; the same id as the webhook\'s Idempotency-Key for this alert' })
  alertId!: string;
  @Field({ description: 'where this alert stands in the log; subscribe again with after: this cursor to get every alert raised since, none twice' })
  cursor!: string;
}
