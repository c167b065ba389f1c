// Issue 18: a run of the release before the fix, caught in one of its command loops, replays and then
// settles once a worker with the current code takes it over (patch once-per-version is asked where the
// old code repeats itself: false while the new worker replays the loop, true once it runs live). The
// recorded loops (workflows/test/histories/v5-loop-*.json) replay in service-call.replay.int.spec.ts;
// here the same loops run on the time-skipping server, first under the released code
// (workflows/test/fixtures/service-call-v5.workflows.ts), then under the current bundle.
import { WORKFLOW_ACTOR } from '@app/domain';
import { ChangeServiceCallCommand, OpenServiceCallCommand } from '@app/service-calls';
import { CommandBus } from '@nestjs/cqrs';
import { bundleWorkflowCode, DefaultLogger, type WorkflowBundle } from '@temporalio/worker';
import * as path from 'node:path';
import { workflowBundleOptions } from '../../../apps/worker/src/temporal/workflow-bundle';
import { eventually, startWorkflowTestEnv, untilWorkflowIdle, WorkflowTestEnv } from '../../../test/support/temporal-test-env';
import { ProcessCommand } from './service-call.activities';
import { callEventSignal, serviceCallWorkflowId } from './service-call.messages';

const AGENT = 'apikey:upgrade-agent';
const MANAGER = 'apikey:upgrade-manager';
const resolution = { agreedSolution: 'a new machine delivered', implemented: true };

describe('a run of the release before issue 18 caught in a command loop settles under the current code', () => {
  let t: WorkflowTestEnv;
  let bus: CommandBus;
  let released: WorkflowBundle;

  beforeAll(async () => {
    t = await startWorkflowTestEnv('upgrade');
    bus = t.app.get(CommandBus);
    released = await bundleWorkflowCode({
      ...workflowBundleOptions(),
      workflowsPath: path.join(__dirname, '../../test/fixtures/service-call-v5.workflows.ts'),
      logger: new DefaultLogger('WARN'),
    });
  }, 120_000);

  afterAll(() => t?.close(), 60_000);

  let opened = 0;
  async function openCall(name: string): Promise<string> {
    const input = { channel: 'EMAIL' as const, category: 'upgrade', summary: 'Washing machine leaks', customer: { name, email: 'upgrade@example.com' } };
    const { call } = await bus.execute(new OpenServiceCallCommand(input, { actor: AGENT, idempotencyKey: `upgrade-${++opened}` }));
    return call.id;
  }
  const change = (callId: string, command: ProcessCommand, actor = AGENT) => bus.execute(new ChangeServiceCallCommand(callId, command, { actor }));
  const handleOf = (callId: string) => t.env.client.workflow.getHandle(serviceCallWorkflowId(callId));
  const history = async (callId: string) => (await handleOf(callId).fetchHistory()).events ?? [];
  const markers = async (callId: string) => (await history(callId)).filter((e) => e.markerRecordedEventAttributes).length;
  const statusOf = async (callId: string, stepKey: string) => (await t.callOf(callId)).phases.flatMap((p) => p.steps).find((s) => s.key === stepKey)?.status;
  const untilIdle = (callId: string) => untilWorkflowIdle(handleOf(callId));
  /** The history once it stops growing (idle, the same length 300 ms apart). */
  async function untilStable(callId: string): Promise<number> {
    let last = -1;
    return eventually(
      'the history stops growing',
      async () => {
        await untilIdle(callId);
        const length = (await history(callId)).length;
        const stable = length === last;
        last = length;
        if (!stable) await new Promise((resolve) => setTimeout(resolve, 300));
        return stable && length;
      },
      { timeoutMs: 30_000 },
    );
  }

  it("ResolveServiceCall repeated between a manager's resolution signals: the current code stops repeating at once, and the run ends when the last signal comes", async () => {
    await t.startWorker(released);
    const id = await openCall('Lou Loop');
    await eventually('record-complaint READY', async () => (await statusOf(id, 'record-complaint')) === 'READY');
    await change(id, { type: 'CompleteStep', data: { stepKey: 'record-complaint' } });
    await eventually('confirm-understanding READY', async () => (await statusOf(id, 'confirm-understanding')) === 'READY');
    await untilIdle(id);
    await t.dispatcher.stop();
    const before = (await t.streamOf(id)).length;
    await change(id, { type: 'ResolveServiceCall', data: { resolution } }, MANAGER);
    const batch = (await t.streamOf(id)).slice(before);
    // every signal of the batch but ServiceCallResolved: the process is complete, the call not resolved
    for (const event of batch.slice(0, -1)) await handleOf(id).signal(callEventSignal, { type: event.type, version: event.streamVersion, data: event.data });
    await eventually('the released code loops', async () => (await markers(id)) > 40, { timeoutMs: 30_000 });
    await t.startWorker(); // the current bundle takes the same run over
    const atHandOver = await markers(id);
    await untilStable(id);
    expect((await markers(id)) - atHandOver).toBeLessThan(5); // what was in flight, then nothing more
    expect((await handleOf(id).describe()).status.name).toBe('RUNNING');

    await t.dispatcher.start(); // ServiceCallResolved (and the rest again, ignored by version)
    await eventually('call RESOLVED', async () => (await t.callOf(id)).status === 'RESOLVED');
    await handleOf(id).result();
    const stream = await t.streamOf(id);
    expect(stream.filter((e) => e.type === 'ServiceCallResolved')).toHaveLength(1);
    expect(stream.filter((e) => e.type === 'SlaMet').map((e) => e.data.target)).toEqual(['FIRST_RESPONSE', 'RESOLUTION']);
  }, 120_000);

  it('SLA MET records repeated behind an aftercare event the run never hears of: the current code reads the stream and ends the run', async () => {
    await t.startWorker(released);
    const id = await openCall('Sid Sla');
    await eventually('record-complaint READY', async () => (await statusOf(id, 'record-complaint')) === 'READY');
    await untilIdle(id);
    await t.dispatcher.stop();
    try {
      const before = (await t.streamOf(id)).length;
      await change(id, { type: 'ResolveServiceCall', data: { resolution } }, MANAGER);
      const batch = (await t.streamOf(id)).slice(before);
      const data = { contactId: 'follow-up-1', purpose: 'FOLLOW_UP' as const, channel: 'EMAIL' as const, scheduledFor: new Date().toISOString() };
      await t.activities.issueCommand({ callId: id, command: { type: 'ScheduleContact', data }, idempotencyKey: 'schedule-contact:follow-up-1' });
      // the resolution reaches the run, ContactScheduled does not (with the dispatcher running, whether it
      // comes before the run's first SLA record is a race): the released code repeats the two SLA records
      // without end, since their answers lie behind a version it never hears of
      for (const event of batch) await handleOf(id).signal(callEventSignal, { type: event.type, version: event.streamVersion, data: event.data });
      await eventually('the released code loops', async () => (await markers(id)) > 20, { timeoutMs: 60_000 });

      await t.startWorker();
      const atHandOver = await markers(id);
      await handleOf(id).result(); // the run ends: the current code reads the stream
      expect((await markers(id)) - atHandOver).toBeLessThan(8);
    } finally {
      await t.dispatcher.start();
    }
    const stream = await t.streamOf(id);
    expect(stream.filter((e) => e.type === 'SlaMet').map((e) => e.data.target)).toEqual(['FIRST_RESPONSE', 'RESOLUTION']);
    expect(stream.filter((e) => e.metadata.actor === WORKFLOW_ACTOR).map((e) => e.type)).toContain('ContactScheduled');
  }, 120_000);
});
