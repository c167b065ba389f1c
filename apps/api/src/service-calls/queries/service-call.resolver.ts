import {
  CallStatus,
  callProgress,
  LIMITS,
  optionalText,
  phaseProgress,
  Priority,
  ServiceCall,
  serviceCallStreamId,
  ValidationError,
  Phase as DomainPhase,
} from '@app/domain';
import { EventStore } from '@app/event-store';
import { ServiceCallSummariesStore } from '@app/read-models';
import { isCallId } from '@app/service-calls';
import { Args, Float, ID, Int, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { READ_ROLES, Roles } from '../../auth/roles.decorator';
import { DateTime } from '../../graphql/date-time.scalar';
import { CallStatusEnum, PriorityEnum } from '../models/enums';
import { CallEvent, Phase, ServiceCallModel, ServiceCallConnection } from '../models/service-call.model';

export const MAX_PAGE_SIZE = 200;

@Resolver(() => ServiceCallModel)
export class ServiceCallResolver {
  constructor(
    private readonly summaries: ServiceCallSummariesStore,
    private readonly store: EventStore,
  ) {}

  @Query(() => ServiceCallModel, { nullable: true })
  @Roles(...READ_ROLES)
  async serviceCall(@Args('id', { type: () => ID }) id: string): Promise<ServiceCall | null> {
    return (isCallId(id) && (await this.summaries.byId(id))) || null;
  }

  @Query(() => ServiceCallConnection, {
    description:
      'newest first; pass endCursor as `after` for the next page. Filters combine with AND; text filters are trimmed and ' +
      'a blank one is no filter. Paging stays stable (no duplicates, no gaps) while calls are added or change.',
  })
  @Roles(...READ_ROLES)
  serviceCalls(
    @Args('status', { type: () => CallStatusEnum, nullable: true }) status?: CallStatus,
    @Args('first', { type: () => Int, nullable: true, defaultValue: 50 }) first: number = 50,
    @Args('after', { type: () => String, nullable: true }) after?: string,
    @Args('processKey', { type: () => String, nullable: true, description: 'calls running this process template (any version)' })
    processKey?: string,
    @Args('phaseKey', { type: () => String, nullable: true, description: 'calls whose ACTIVE phase has this key' }) phaseKey?: string,
    @Args('assignee', { type: () => String, nullable: true, description: 'agent id the call is assigned to' }) assignee?: string,
    @Args('category', { type: () => String, nullable: true, description: 'matched case-insensitively' }) category?: string,
    @Args('priority', { type: () => PriorityEnum, nullable: true }) priority?: Priority,
    @Args('openedAfter', { type: () => DateTime, nullable: true, description: 'opened at or after this instant' }) openedAfter?: string,
    @Args('openedBefore', { type: () => DateTime, nullable: true, description: 'opened before this instant' }) openedBefore?: string,
  ): Promise<ServiceCallConnection> {
    if (first < 1 || first > MAX_PAGE_SIZE) throw new ValidationError('first', `first must be between 1 and ${MAX_PAGE_SIZE}`);
    // DateTime values arrive normalised (toISOString), so they compare as the stored instants do
    if (openedAfter && openedBefore && openedAfter > openedBefore) {
      throw new ValidationError('openedBefore', 'openedBefore must not be earlier than openedAfter');
    }
    return this.summaries.page({
      status: status ?? undefined,
      processKey: optionalText('processKey', processKey, LIMITS.key),
      phaseKey: optionalText('phaseKey', phaseKey, LIMITS.key),
      assignee: optionalText('assignee', assignee, LIMITS.key),
      category: optionalText('category', category, LIMITS.shortText),
      priority: priority ?? undefined,
      openedAfter: openedAfter ?? undefined,
      openedBefore: openedBefore ?? undefined,
      first,
      after: after ?? undefined,
    });
  }

  @ResolveField(() => Float, { description: '0..1 over all steps' })
  progress(@Parent() call: ServiceCall): number {
    return callProgress(call);
  }

  @ResolveField(() => [CallEvent], { description: 'every change, oldest first' })
  async history(@Parent() call: ServiceCall): Promise<CallEvent[]> {
    const events = await this.store.readStream(serviceCallStreamId(call.id));
    return events
      .filter((e) => e.streamVersion <= call.version)
      .map((e) => ({ type: e.type, version: e.streamVersion, at: String(e.metadata.at ?? e.recordedAt), data: JSON.stringify(e.data) }));
  }
}

@Resolver(() => Phase)
export class PhaseResolver {
  @ResolveField(() => Float, { description: '0..1, share of its steps COMPLETED or SKIPPED' })
  progress(@Parent() phase: DomainPhase): number {
    return phaseProgress(phase);
  }
}
