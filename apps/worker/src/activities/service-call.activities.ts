import { DomainError, findStep, serviceCallStreamId, WORKFLOW_ACTOR } from '@app/domain';
import { EventStore, RecordedEvent } from '@app/event-store';
import { ChangeServiceCallCommand, ConcurrentChangeError, ServiceCallRepository } from '@app/service-calls';
import { WebhookSender } from '@app/outbound';
import { CallEventMessage, DOMAIN_ERROR_TYPE, ProcessCommand, ServiceCallActivities, SlaAlertInput } from '@app/workflows';
import { Injectable, Optional } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApplicationFailure } from '@temporalio/common';
import { AutomatedActionRegistry } from '../actions/automated-action.registry';
import { CallRouter } from '../routing/call-router';
import { RoutingSupervisor } from '../routing/routing-supervisor';

export const toCallEventMessage = (e: Pick<RecordedEvent, 'type' | 'streamVersion' | 'data'>): CallEventMessage => ({ type: e.type, version: e.streamVersion, data: e.data });

/** The activities of serviceCallWorkflow. Every one is safe to run twice. */
@Injectable()
export class ServiceCallActivitiesService implements ServiceCallActivities {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly store: EventStore,
    private readonly calls: ServiceCallRepository,
    private readonly actions: AutomatedActionRegistry,
    private readonly router: CallRouter,
    private readonly supervisor: RoutingSupervisor,
    // from OutboundModule; absent (a worker without outbound sends) means no webhook, as without WEBHOOK_URL
    @Optional() private readonly webhooks?: WebhookSender,
  ) {}

  async loadCallEvents(callId: string, afterVersion: number): Promise<CallEventMessage[]> {
    return (await this.store.readStream(serviceCallStreamId(callId), afterVersion)).map(toCallEventMessage);
  }

  async issueCommand(input: { callId: string; command: ProcessCommand; idempotencyKey: string }): Promise<CallEventMessage[]> {
    try {
      const result = await this.commandBus.execute(
        new ChangeServiceCallCommand(input.callId, input.command, { actor: WORKFLOW_ACTOR, idempotencyKey: input.idempotencyKey }),
      );
      return result.events.map(toCallEventMessage);
    } catch (error) {
      throw asActivityFailure(error);
    }
  }

  async runAutomatedAction(input: { callId: string; stepKey: string; action: string; attempt?: number }): Promise<{ outcome: string }> {
    // unknown here means no retry can help: the step FAILS at once with this message
    const action = this.actions.get(input.action);
    if (!action) throw ApplicationFailure.create({ type: DOMAIN_ERROR_TYPE, message: `unknown action ${input.action}`, nonRetryable: true });
    const call = await this.calls.load(input.callId);
    if (!call) throw ApplicationFailure.create({ type: DOMAIN_ERROR_TYPE, message: `call ${input.callId} not found`, nonRetryable: true });
    const attempt = input.attempt ?? 1;
    const outcome = await action.run(call, input.stepKey, { attempt, idempotencyKey: `${input.callId}:${input.stepKey}#${attempt}` });
    return { outcome };
  }

  async sendSlaAlert(input: SlaAlertInput): Promise<{ outcome: string }> {
    if (!this.webhooks?.configured) return { outcome: 'NO_GATEWAY' };
    const call = await this.calls.load(input.callId);
    const about = call
      ? { trackingCode: call.trackingCode, category: call.category, priority: call.priority, summary: call.summary, assignee: call.assignee ?? null }
      : {};
    // `at` as recorded in the call: the same body whoever sends the alert first (the workflow, or the
    // worker's SLA due timers), which the ledger requires of one alert id
    const recorded = call
      ? call.slaEvents.find((r) => r.kind === input.kind && r.target === input.target && r.dueAt === input.dueAt)
      : undefined;
    const at = recorded?.at ?? input.at;
    // the ledger sends each alert id once; a PermanentSendError (receiver said 4xx) is not retried by the workflow
    const result = await this.webhooks.send({
      id: input.alertId,
      type: input.kind === 'AT_RISK' ? 'sla.at_risk' : 'sla.breached',
      data: { callId: input.callId, ...about, kind: input.kind, target: input.target, dueAt: input.dueAt, at },
    });
    return { outcome: result.outcome };
  }

  async sendProcessAlert(input: { callId: string; stepKey: string; attempt: number; failedAt: string }): Promise<{ outcome: string }> {
    if (!this.webhooks?.configured) return { outcome: 'NO_GATEWAY' };
    const found = await this.calls.loadWithEvents(input.callId);
    if (!found) return { outcome: 'NO_CALL' };
    const { call, events } = found;
    const { phase, step } = findStep(call, input.stepKey);
    // the failure as the stream recorded it: the same body however often, and whenever, this runs
    const failed = events.find((e) => e.type === 'StepFailed' && e.data.stepKey === step.key && e.data.at === input.failedAt);
    const result = await this.webhooks.send({
      id: `step-failed:${input.callId}:${step.key}#${input.attempt}`,
      type: 'step.failed',
      data: {
        callId: call.id,
        trackingCode: call.trackingCode,
        category: call.category,
        priority: call.priority,
        assignee: step.assignee ?? call.assignee ?? null,
        phaseKey: phase.key,
        stepKey: step.key,
        attempt: input.attempt,
        reason: failed?.data.reason ?? null,
        automated: step.automated,
        by: failed?.data.by ?? null,
        at: input.failedAt,
      },
    });
    return { outcome: result.outcome };
  }

  async routeCall(input: { callId: string; round: number; afterVersion: number }): Promise<CallEventMessage[]> {
    try {
      await this.router.route(input.callId, input.round);
    } catch (error) {
      throw asActivityFailure(error);
    }
    return this.loadCallEvents(input.callId, input.afterVersion);
  }

  async releaseAgent(input: { callId: string; agentId: string }): Promise<void> {
    await this.router.release(input.agentId, input.callId, 'call finished');
    this.supervisor.capacityChanged(); // a waiting call may take the slot
  }

  /** Bound methods, as Worker.create wants them. */
  asActivities(): ServiceCallActivities {
    return {
      loadCallEvents: this.loadCallEvents.bind(this),
      issueCommand: this.issueCommand.bind(this),
      runAutomatedAction: this.runAutomatedAction.bind(this),
      sendSlaAlert: this.sendSlaAlert.bind(this),
      sendProcessAlert: this.sendProcessAlert.bind(this),
      routeCall: this.routeCall.bind(this),
      releaseAgent: this.releaseAgent.bind(this),
    };
  }
}

/** A refusal by the domain cannot succeed on retry; anything else (a lost append race, a busy database) can. */
export function asActivityFailure(error: unknown): unknown {
  if (error instanceof DomainError && !(error instanceof ConcurrentChangeError)) {
    return ApplicationFailure.create({ type: DOMAIN_ERROR_TYPE, message: `${error.code}: ${error.message}`, nonRetryable: true });
  }
  return error;
}
