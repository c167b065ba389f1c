import { nextProcessActions, Priority, ProcessTemplate, ServiceCall, STANDARD_COMPLAINT, WORKFLOW_ACTOR } from '@app/domain';
import { EventStore } from '@app/event-store';
import { newCallId, ServiceCallCommandProcessor, ServiceCallRepository } from '@app/service-calls';

const PERSON = 'apikey:test';

/**
 * Drives calls through the real decider and event store at chosen times, for read-model tests:
 * `advance` does what the workflow would (start phases, mark steps ready, run automated steps,
 * complete phases, resolve); people's steps are worked with `work`/`start`/`fail`.
 */
export class CallScenarios {
  private readonly processor: ServiceCallCommandProcessor;
  private readonly calls: ServiceCallRepository;
  private seq = 0;

  constructor(store: EventStore) {
    this.processor = new ServiceCallCommandProcessor(store);
    this.calls = new ServiceCallRepository(store);
  }

  async open(at: Date, options: { process?: ProcessTemplate; category?: string; priority?: Priority } = {}): Promise<string> {
    const n = ++this.seq;
    const callId = newCallId('test');
    const process = options.process ?? STANDARD_COMPLAINT;
    await this.processor.execute(
      callId,
      {
        type: 'OpenServiceCall',
        data: {
          callId,
          trackingCode: `TRK-${String(n).padStart(4, '0')}`,
          process,
          input: {
            channel: 'PHONE',
            priority: options.priority ?? 'NORMAL',
            category: options.category ?? 'billing',
            summary: `call ${n}`,
            customer: { name: `Customer ${n}` },
            receivedAt: at.toISOString(),
          },
        },
      },
      { actor: PERSON, now: at },
    );
    return callId;
  }

  async call(callId: string): Promise<ServiceCall> {
    return (await this.calls.load(callId)) as ServiceCall;
  }

  /** The workflow's part at `at`: every process action until only people's work is left. */
  async advance(callId: string, at: Date): Promise<ServiceCall> {
    const workflow = { actor: WORKFLOW_ACTOR, now: at };
    for (let round = 0; round < 100; round++) {
      const call = await this.call(callId);
      if (call.status === 'RESOLVED') return call;
      const actions = nextProcessActions(call.phases);
      if (actions.length === 0) return call;
      for (const action of actions) {
        if (action.kind === 'StartPhase') await this.processor.execute(callId, { type: 'StartPhase', data: { phaseKey: action.phaseKey } }, workflow);
        if (action.kind === 'MarkStepsReady') {
          await this.processor.execute(callId, { type: 'MarkStepsReady', data: { phaseKey: action.phaseKey, stepKeys: action.stepKeys } }, workflow);
        }
        if (action.kind === 'RunAutomatedStep') {
          await this.processor.execute(callId, { type: 'CompleteStep', data: { stepKey: action.stepKey, outcome: 'done' } }, workflow);
        }
        if (action.kind === 'CompletePhase') await this.processor.execute(callId, { type: 'CompletePhase', data: { phaseKey: action.phaseKey } }, workflow);
        if (action.kind === 'ResolveCall') await this.processor.execute(callId, { type: 'ResolveServiceCall', data: {} }, workflow);
      }
    }
    throw new Error(`call ${callId} did not settle`);
  }

  /** A person completes these steps in turn at `at`; the workflow reacts to each at the same time. */
  async work(callId: string, at: Date, ...stepKeys: string[]): Promise<ServiceCall> {
    let call = await this.call(callId);
    for (const stepKey of stepKeys) {
      await this.processor.execute(callId, { type: 'CompleteStep', data: { stepKey } }, { actor: PERSON, now: at });
      call = await this.advance(callId, at);
    }
    return call;
  }

  /** People complete every step as it becomes READY until the call is RESOLVED. */
  async finish(callId: string, at: Date): Promise<ServiceCall> {
    let call = await this.advance(callId, at);
    while (call.status !== 'RESOLVED') {
      const ready = call.phases.flatMap((p) => p.steps).filter((s) => !s.automated && (s.status === 'READY' || s.status === 'IN_PROGRESS'));
      if (ready.length === 0) throw new Error(`call ${callId} waits for nothing a person can do`);
      call = await this.work(callId, at, ...ready.map((s) => s.key));
    }
    return call;
  }

  async start(callId: string, at: Date, stepKey: string): Promise<void> {
    await this.processor.execute(callId, { type: 'StartStep', data: { stepKey } }, { actor: PERSON, now: at });
  }

  async fail(callId: string, at: Date, stepKey: string): Promise<void> {
    await this.processor.execute(callId, { type: 'FailStep', data: { stepKey, reason: 'broken' } }, { actor: PERSON, now: at });
  }
}

/** A minute-resolution clock for scenarios: t(90) is 90 minutes after the scenario's start. */
export const minutesFrom = (start: Date) => (minutes: number) => new Date(start.getTime() + minutes * 60_000);
