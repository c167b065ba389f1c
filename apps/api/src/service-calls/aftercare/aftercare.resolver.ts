import { ApiKey } from '@app/config';
import { ServiceCall } from '@app/domain';
import { Args, Mutation, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { CallChangeArgs, CallReasonArgs } from '../call-change.args';
import { Caller } from '../../auth/caller.decorator';
import { Roles, STEP_ROLES } from '../../auth/roles.decorator';
import { CallResults } from '../call-results.service';
import { ServiceCallModel } from '../models/service-call.model';
import { Contact, Escalation, Feedback, FeedbackInput, Pause, Resolution, ResolutionInput } from './aftercare.model';

/** Waiting for the customer, escalation, the complaint record, resolving, feedback and reopening. */
@Resolver(() => ServiceCallModel)
export class AftercareResolver {
  constructor(private readonly results: CallResults) {}

  @Mutation(() => ServiceCallModel, { description: 'WAITING_ON_CUSTOMER: pauses the SLA clock until customerResponded' })
  @Roles(...STEP_ROLES)
  waitForCustomer(@Args() { callId, reason, expectedVersion, idempotencyKey }: CallReasonArgs, @Caller() caller: ApiKey): Promise<ServiceCall> {
    return this.results.change(callId, { type: 'WaitForCustomer', data: { reason } }, caller, expectedVersion, idempotencyKey);
  }

  @Mutation(() => ServiceCallModel, { description: 'resumes a call WAITING_ON_CUSTOMER (and its SLA clock)' })
  @Roles(...STEP_ROLES)
  customerResponded(@Args() { callId, expectedVersion, idempotencyKey }: CallChangeArgs, @Caller() caller: ApiKey): Promise<ServiceCall> {
    return this.results.change(callId, { type: 'RecordCustomerResponse', data: {} }, caller, expectedVersion, idempotencyKey);
  }

  @Mutation(() => ServiceCallModel, { description: 'escalates by hand (SLA breaches escalate automatically)' })
  @Roles(...STEP_ROLES)
  escalateServiceCall(@Args() { callId, reason, expectedVersion, idempotencyKey }: CallReasonArgs, @Caller() caller: ApiKey): Promise<ServiceCall> {
    return this.results.change(callId, { type: 'EscalateServiceCall', data: { reason } }, caller, expectedVersion, idempotencyKey);
  }

  @Mutation(() => ServiceCallModel, { description: 'records (or corrects) the complaint record: solution, promise, compensation, cause, prevention' })
  @Roles(...STEP_ROLES)
  recordResolution(@Args('input') input: ResolutionInput, @Caller() caller: ApiKey): Promise<ServiceCall> {
    const { callId, expectedVersion, idempotencyKey, ...resolution } = input;
    return this.results.change(callId, { type: 'RecordResolution', data: { resolution } }, caller, expectedVersion, idempotencyKey);
  }

  @Mutation(() => ServiceCallModel, { description: 'resolves now: records the resolution and skips the steps still open' })
  @Roles(...STEP_ROLES)
  resolveServiceCall(@Args('input') input: ResolutionInput, @Caller() caller: ApiKey): Promise<ServiceCall> {
    const { callId, expectedVersion, idempotencyKey, ...resolution } = input;
    return this.results.change(callId, { type: 'ResolveServiceCall', data: { resolution } }, caller, expectedVersion, idempotencyKey);
  }

  @Mutation(() => ServiceCallModel, {
    description: 'the customer’s answer: satisfied closes a RESOLVED call, not satisfied reopens it into its last phase; on a CLOSED call it is recorded',
  })
  @Roles(...STEP_ROLES)
  recordFeedback(@Args('input') input: FeedbackInput, @Caller() caller: ApiKey): Promise<ServiceCall> {
    const { callId, expectedVersion, idempotencyKey, ...feedback } = input;
    return this.results.change(callId, { type: 'RecordFeedback', data: { feedback } }, caller, expectedVersion, idempotencyKey);
  }

  @Mutation(() => ServiceCallModel, { description: 'a RESOLVED or CLOSED call back to work in its last phase' })
  @Roles('INTEGRATOR', 'MANAGER')
  reopenServiceCall(@Args() { callId, reason, expectedVersion, idempotencyKey }: CallReasonArgs, @Caller() caller: ApiKey): Promise<ServiceCall> {
    return this.results.change(callId, { type: 'ReopenServiceCall', data: { reason } }, caller, expectedVersion, idempotencyKey);
  }

  @ResolveField(() => Boolean, { description: 'escalated by a person or by an SLA breach' })
  escalated(@Parent() call: ServiceCall): boolean {
    return call.escalated;
  }

  @ResolveField(() => [Escalation])
  escalations(@Parent() call: ServiceCall): Escalation[] {
    return call.escalations;
  }

  @ResolveField(() => [Pause], { description: 'times the call waited for the customer' })
  pauses(@Parent() call: ServiceCall): Pause[] {
    return call.pauses;
  }

  @ResolveField(() => Resolution, { nullable: true })
  resolution(@Parent() call: ServiceCall): Resolution | undefined {
    return call.resolution;
  }

  @ResolveField(() => [Feedback])
  feedback(@Parent() call: ServiceCall): Feedback[] {
    return call.feedback;
  }

  @ResolveField(() => [Contact])
  contacts(@Parent() call: ServiceCall): Contact[] {
    return call.contacts;
  }
}
