import type { ServiceCall } from '@app/domain';
import { ApiKey } from '@app/config';
import type { NoteKind } from '@app/domain';
import { Args, ID, Int, Mutation, Resolver } from '@nestjs/graphql';
import { Caller } from '../../auth/caller.decorator';
import { Roles, STEP_ROLES } from '../../auth/roles.decorator';
import { CallResults } from '../call-results.service';
import { NoteKindEnum } from '../models/enums';
import { ServiceCallModel } from '../models/service-call.model';

@Resolver(() => ServiceCallModel)
export class AddNoteResolver {
  constructor(private readonly results: CallResults) {}

  @Mutation(() => ServiceCallModel, {
    description: "Adds to the call's interaction log (ServiceCall.notes and its history), also after the call is resolved. Never shown to the customer.",
  })
  @Roles(...STEP_ROLES)
  addNote(
    @Args('callId', { type: () => ID }) callId: string,
    @Args('kind', { type: () => NoteKindEnum }) kind: NoteKind,
    @Args('text') text: string,
    @Caller() caller: ApiKey,
    @Args('idempotencyKey', { type: () => String, nullable: true }) idempotencyKey?: string,
    @Args('expectedVersion', { type: () => Int, nullable: true }) expectedVersion?: number,
  ): Promise<ServiceCall> {
    return this.results.change(callId, { type: 'AddNote', data: { kind, text } }, caller, expectedVersion, idempotencyKey);
  }
}
