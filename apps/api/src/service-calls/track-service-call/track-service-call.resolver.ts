import { ServiceCallSummariesStore } from '@app/read-models';
import { Args, Query, Resolver } from '@nestjs/graphql';
import { Public } from '../../auth/roles.decorator';
import { PublicCallStatus } from '../models/service-call.model';

/** For customers: the status of their own call by tracking code; no key, no personal data. */
@Resolver(() => PublicCallStatus)
export class TrackServiceCallResolver {
  constructor(private readonly summaries: ServiceCallSummariesStore) {}

  @Query(() => PublicCallStatus, { nullable: true })
  @Public()
  async trackServiceCall(@Args('trackingCode') trackingCode: string): Promise<PublicCallStatus | null> {
    const call = await this.summaries.byTrackingCode(trackingCode.trim().toUpperCase());
    if (!call) return null;
    return {
      trackingCode: call.trackingCode,
      status: call.status,
      phases: call.phases.map((p) => ({ name: p.name, status: p.status })),
      updatedAt: call.updatedAt,
    };
  }
}
