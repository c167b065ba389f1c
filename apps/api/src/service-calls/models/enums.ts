import { CALL_STATUSES, CHANNELS, NOTE_KINDS, PHASE_STATUSES, PRIORITIES, STEP_STATUSES } from '@app/domain';
import { registerEnumType } from '@nestjs/graphql';

// GraphQL enums made from the domain's own lists, so the two never drift apart.
const asEnum = <T extends string>(values: readonly T[]) => Object.fromEntries(values.map((v) => [v, v])) as { [K in T]: K };

export const ChannelEnum = asEnum(CHANNELS);
export const PriorityEnum = asEnum(PRIORITIES);
export const CallStatusEnum = asEnum(CALL_STATUSES);
export const PhaseStatusEnum = asEnum(PHASE_STATUSES);
export const StepStatusEnum = asEnum(STEP_STATUSES);
export const NoteKindEnum = asEnum(NOTE_KINDS);

registerEnumType(ChannelEnum, { name: 'Channel' });
registerEnumType(PriorityEnum, { name: 'Priority' });
registerEnumType(CallStatusEnum, { name: 'CallStatus' });
registerEnumType(PhaseStatusEnum, { name: 'PhaseStatus' });
registerEnumType(StepStatusEnum, { name: 'StepStatus' });
registerEnumType(NoteKindEnum, { name: 'NoteKind' });
