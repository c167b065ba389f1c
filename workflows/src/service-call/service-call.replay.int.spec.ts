// Replays every recorded history in workflows/test/histories against the CURRENT workflow bundle,
// built exactly as the worker builds it. A workflow change that would break a running call (a command
// issued where the history has another, or in another order) fails here instead of in production.
//
// When you change serviceCallWorkflow:
// - Guard every change of the command sequence with patched('<id>') (or deprecatePatch once no running
//   workflow can take the old path), so the histories below still replay.
// - Record the new behaviour as well, keeping the old files (running workflows of every earlier release
//   must replay): `RECORD_HISTORIES=v<n> npx jest workflows/test/record-histories [-t <scenario>]`
//   writes workflows/test/histories/v<n>-<scenario>.json (see that file); add scenarios there for new
//   behaviour, list the new files in the first test below and commit them with the change.
// - Check the guard is needed: remove it, and a history of the old behaviour must fail here. (Done
//   for automation-failure-fails-step: unguarded, v1-automation-exhausted fails with "[TMPRL1100]
//   Nondeterminism error: No command scheduled for event HistoryEvent(id: 31, ActivityTaskScheduled)".
//   Done for sla-timers: unguarded, every v1 and v2 history fails with a nondeterminism error.
//   Done for routing: with `routing = true` instead of patched('routing'), every v1, v2 and v3
//   history fails: v1/v2 with "[TMPRL1100] Nondeterminism error: Activity type of recorded marker
//   'issueCommand' does not match activity type of local activity command 'routeCall'" (v1-caught-up:
//   marker 'loadCallEvents'), v3 with "[TMPRL1100] Nondeterminism error: No command scheduled for event
//   HistoryEvent(id: 10, TimerStarted)"; the aftercare histories are another workflow and still pass.
//   Done for process-alert-webhook: unguarded, the histories with a FAILED step fail with "[TMPRL1100]
//   Nondeterminism error: Missing associated machine for LocalActivity(10)".
//   Done for once-per-version: with the patched() calls taken as true, the two v5-loop histories fail
//   with "[TMPRL1100] Nondeterminism error: Missing associated machine for LocalActivity(10)" and
//   "... LocalActivity(6)": they repeat commands the new code issues once.
//   Done for gap-load-after-local-activities: with the patched() call taken as true, v6-sla-records-out-of-order
//   fails with "[TMPRL1100] Nondeterminism error: Missing associated machine for LocalActivity(8)": its
//   run loaded the gap while an SLA record still ran.)
// - A history the released code wrote but no code can replay (a bug's, see the last describe below)
//   goes to workflows/test/histories/broken/, out of the first test's list.
// - Record from the code that is deployed: the v1 files come from commit 3aeef65, recorded in a git
//   worktree of that commit (`git worktree add /tmp/v1 3aeef65`, node_modules symlinked).
import { DefaultLogger, Runtime, Worker, bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { slaTimerSinks } from '../../../apps/worker/src/sla/sla-due-timers';
import { workflowBundleOptions } from '../../../apps/worker/src/temporal/workflow-bundle';
import { historyFromJson } from '../../test/history-json';

const HISTORIES_DIR = path.join(__dirname, '../../test/histories');
const files = fs.readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json')).sort();
const BROKEN = 'broken/v6-cluster-sla-records-out-of-order-c6e89c1b.json';
const logger = new DefaultLogger('ERROR');
// the workflow's sink for the worker's SLA due timers (a replay worker calls none, but it must know it)
const NO_SLA_TIMERS = slaTimerSinks({ armed: () => undefined });

beforeAll(() => Runtime.install({ logger }));

const historyOf = (file: string) => historyFromJson(JSON.parse(fs.readFileSync(path.join(HISTORIES_DIR, file), 'utf8')));

async function replay(workflowBundle: WorkflowBundle, names: readonly string[]) {
  const histories = names.map((file) => ({ workflowId: file.replace(/\.json$/, ''), history: historyOf(file) }));
  const results = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle, replayName: 'replay-spec', sinks: NO_SLA_TIMERS }, histories)) results.push(result);
  return results.map((r) => ({ history: r.workflowId, error: r.error }));
}

describe('recorded histories replay against the current workflow code', () => {
  it('the histories of each release are committed: v1 (before process templates), v2, v3, v4, v5, v6, v7', () => {
    expect(files).toEqual(expect.arrayContaining(['v1-resolved.json', 'v1-paused.json', 'v1-automation-exhausted.json', 'v1-caught-up.json']));
    // v2: automations that fail FAIL their step (patch automation-failure-fails-step); retries and skips
    expect(files).toEqual(expect.arrayContaining(['v2-automation-failed-retried.json', 'v2-skipped-steps.json', 'v2-skipped-while-running.json']));
    // v3: SLA timers (patch sla-timers): AT_RISK / BREACHED / MET, alerts, and the release's ordinary runs
    expect(files).toEqual(expect.arrayContaining(['v3-resolved.json', 'v3-paused.json', 'v3-sla-timers.json']));
    // v4: routing (patch routing): routed at open and released when RESOLVED, queued then served from the
    // queue, taken from an absent agent (CallUnassigned) and routed again to the replacement
    expect(files).toEqual(expect.arrayContaining(['v4-routed-resolved.json', 'v4-queued-served.json', 'v4-absent-rerouted.json']));
    // v5: a FAILED step is also sent to the managers by webhook (patch process-alert-webhook)
    expect(files).toEqual(expect.arrayContaining(['v5-automation-failed-retried.json']));
    // v5 loops (issue 18), recorded before patch once-per-version: ResolveServiceCall re-issued between the
    // signals of a manager's resolution; SLA MET records re-issued behind an aftercare event (run terminated)
    expect(files).toEqual(expect.arrayContaining(['v5-loop-resolved-by-manager.json', 'v5-loop-sla-met-behind-aftercare.json']));
    // v6 (once-per-version and reads-stream-first; commit d3cccca): two SLA records due together answered out
    // of order, the gap-load taken while the first-response record still ran and answered before it (the
    // order in which such a history still replays); v7: the same situation under patch
    // gap-load-after-local-activities, which waits for the record and loads nothing
    expect(files).toEqual(expect.arrayContaining(['v6-sla-records-out-of-order.json', 'v7-sla-records-out-of-order.json']));
  });

  it('replays every recorded history without a nondeterminism error', async () => {
    const bundle = await bundleWorkflowCode({ ...workflowBundleOptions(), logger });
    const results = await replay(bundle, files);
    expect(results.map((r) => [r.history, r.error?.message])).toEqual(files.map((f) => [f.replace(/\.json$/, ''), undefined]));
  }, 60_000);

  it('reports a changed command sequence as nondeterministic (a deliberately broken fixture)', async () => {
    const fixture = path.join(__dirname, '../../test/fixtures/reordered.workflows.ts');
    const bundle = await bundleWorkflowCode({ ...workflowBundleOptions(), workflowsPath: fixture, logger });
    const results = await replay(bundle, ['v1-resolved.json', 'v1-paused.json']);
    for (const { error } of results) {
      expect(error).toBeInstanceOf(DeterminismViolationError);
    }
    expect(results).toHaveLength(2);
  }, 60_000);
});

// The cluster run's stalled call (cluster e2e, v6): its timer made two SLA records due (AT_RISK of the first
// response and of the resolution), run as parallel local activities (seq 5 and 6). Seq 6 answered first
// with version 6, behind the gap of seq 5's version 5, and the run, live, loaded the gap (loadCallEvents,
// seq 8) before seq 5's answer reached it. On replay Core resolves both records in one activation (the
// markers of a task are peeked and applied at once), the gap never shows and no load is issued: every
// worker fails the task with "Missing associated machine for LocalActivity(8)". No code can issue that
// load on replay (it would have to know how the live answers were grouped), so the history stays broken
// and the run needs a reset to the task before the load (service-call.local-activity-order.int.spec.ts
// does it on the dev server); the same situation under the current code is v7-sla-records-out-of-order.
describe('a history written by the gap-load between parallel local activities (patch gap-load-after-local-activities)', () => {
  it('cannot replay under any code: Missing associated machine for LocalActivity(8); up to the task before the load it does (the reset point)', async () => {
    const bundle = await bundleWorkflowCode({ ...workflowBundleOptions(), logger });
    const history = historyOf(BROKEN);
    const [result] = await replay(bundle, [BROKEN]);
    expect(result.error).toBeInstanceOf(DeterminismViolationError);
    expect(result.error?.message).toContain('[TMPRL1100] Nondeterminism error: Missing associated machine for LocalActivity(8)');

    // the markers of the task: seq 6 answered before seq 5, and the load (seq 8) was issued between them
    const events = history.events ?? [];
    const seqOf = (e: (typeof events)[number]) =>
      e.markerRecordedEventAttributes?.markerName === 'core_local_activity'
        ? (JSON.parse(Buffer.from(e.markerRecordedEventAttributes.details?.data?.payloads?.[0]?.data ?? []).toString()) as { seq: number; activity_type: string })
        : undefined;
    const load = events.find((e) => seqOf(e)?.seq === 8);
    expect(seqOf(load!)?.activity_type).toBe('loadCallEvents');
    const taskCompleted = events.filter((e) => e.workflowTaskCompletedEventAttributes && Number(e.eventId) < Number(load!.eventId)).at(-1);
    const markersOfTask = events.filter((e) => Number(e.eventId) > Number(taskCompleted!.eventId) && Number(e.eventId) <= Number(load!.eventId)).map(seqOf).filter(Boolean);
    expect(markersOfTask.map((m) => m!.seq)).toEqual([6, 5, 8]);

    // `temporal workflow reset --workflow-id service-call-c6e89c1b-… --event-id 22` keeps the events before that
    // task's completion, which replay, and runs the task again under the current code
    expect(Number(taskCompleted!.eventId)).toBe(22);
    const kept = { events: events.filter((e) => Number(e.eventId) < Number(taskCompleted!.eventId)) };
    await expect(Worker.runReplayHistory({ workflowBundle: bundle, replayName: 'replay-spec-reset-point', sinks: NO_SLA_TIMERS }, kept)).resolves.toBeUndefined();
  }, 60_000);
});
