import { SLA_STATES, WEEKDAYS } from '@app/domain';
import { Field, Float, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { DateTime } from '../graphql/date-time.scalar';
import { PriorityEnum } from '../service-calls/models/enums';

const asEnum = <T extends string>(values: readonly T[]) => Object.fromEntries(values.map((v) => [v, v])) as { [K in T]: K };
export const WeekdayEnum = asEnum(WEEKDAYS);
export const SlaStateEnum = asEnum(SLA_STATES);
registerEnumType(WeekdayEnum, { name: 'Weekday' });
registerEnumType(SlaStateEnum, { name: 'SlaState' });

@InputType()
export class OpeningHoursInput {
  @Field(() => WeekdayEnum) day!: string;
  @Field({ description: 'wall-clock "HH:MM" in the calendar\'s time zone, e.g. "09:00"' }) from!: string;
  @Field({ description: '"HH:MM", later than from; "24:00" is the end of the day' }) to!: string;
}

@InputType()
export class BusinessHoursInput {
  @Field({ description: 'IANA time zone, e.g. "Europe/Berlin"' }) timezone!: string;
  @Field(() => [OpeningHoursInput], { description: 'several intervals a day are allowed (e.g. a lunch break)' }) weekly!: OpeningHoursInput[];
  @Field(() => [String], { nullable: true, description: 'closed days, "2026-12-25"' }) holidays?: string[] | null;
}

@InputType()
export class SlaPolicyInput {
  @Field() key!: string;
  @Field(() => PriorityEnum, { nullable: true, description: 'null: any priority' }) priority?: string | null;
  @Field(() => String, { nullable: true, description: 'null: any category; the most specific matching policy wins' }) category?: string | null;
  @Field({ description: 'ISO 8601 duration of business time, e.g. "PT4H"' }) firstResponseTarget!: string;
  @Field() resolutionTarget!: string;
  @Field(() => Float, { nullable: true, defaultValue: 0.8, description: 'share of the target elapsed at which the call is AT_RISK' }) warnAt?: number | null;
  @Field(() => BusinessHoursInput, { nullable: true, description: 'null: around the clock' }) businessHours?: BusinessHoursInput | null;
}

@ObjectType()
export class OpeningHours {
  @Field(() => WeekdayEnum) day!: string;
  @Field() from!: string;
  @Field() to!: string;
}

@ObjectType()
export class BusinessHours {
  @Field() timezone!: string;
  @Field(() => [OpeningHours]) weekly!: OpeningHours[];
  @Field(() => [String]) holidays!: string[];
}

@ObjectType({ description: 'The newest definition of an SLA policy' })
export class SlaPolicy {
  @Field() key!: string;
  @Field(() => PriorityEnum, { nullable: true }) priority!: string | null;
  @Field(() => String, { nullable: true }) category!: string | null;
  @Field(() => String, { nullable: true }) firstResponseTarget!: string | null;
  @Field() resolutionTarget!: string;
  @Field(() => Float) warnAt!: number;
  @Field(() => BusinessHours, { nullable: true, description: 'null: around the clock' }) businessHours!: BusinessHours | null;
  @Field(() => Int, { description: 'how many times the key has been defined' }) version!: number;
  @Field() definedBy!: string;
  @Field(() => DateTime, { description: 'when this definition was made' }) definedAt!: string;
}

@ObjectType({ description: "The call's SLA at the moment of the query, by the policy it copied when it opened" })
export class Sla {
  @Field() policyKey!: string;
  @Field(() => DateTime, { nullable: true, description: 'null when the policy sets no first-response target' }) firstResponseDueAt!: Date | null;
  @Field(() => DateTime, { nullable: true, description: 'the first human action: a step a person started or completed, or a CUSTOMER_MEETING note' })
  firstRespondedAt!: Date | null;
  @Field(() => DateTime, { description: 'counts business time only; an open pause counts as if the customer answered now' }) resolutionDueAt!: Date;
  @Field(() => SlaStateEnum) state!: string;
  @Field(() => DateTime, { nullable: true, description: 'start of the wait for the customer still open' }) pausedSince!: Date | null;
}
