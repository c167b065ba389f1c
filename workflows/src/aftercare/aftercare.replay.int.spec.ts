// Recorded histories of aftercareWorkflow (RECORD_HISTORIES=aftercare-v<n>, see aftercare.workflow.int.spec.ts)
// replay against the current workflow bundle. A change of the commands the aftercare issues must keep
// them replaying (guard it with patched('<id>')), or an aftercare that waits for its 30-day check-in
// across a deployment would fail. service-call.replay.int.spec.ts replays them as well, with every other history.
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { workflowBundleOptions } from '../../../apps/worker/src/temporal/workflow-bundle';
import { historyFromJson } from '../../test/history-json';

const HISTORIES_DIR = path.join(__dirname, '../../test/histories');
const RECORDED = [
  'aftercare-v1-unsatisfied',
  'aftercare-v1-unanswered',
  'aftercare-v1-closed-check-in',
  'aftercare-v1-promise-reminder',
  // issue 18 (aftercare-downtime.int.spec.ts): the released code repeating the promise reminder after a
  // downtime (an open run, ending mid-loop), and the current code's run of the same case (patched 'aftercare-settles')
  'aftercare-downtime-v1-repeat',
  'aftercare-downtime-v2-settled',
];
const logger = new DefaultLogger('ERROR');

beforeAll(() => Runtime.install({ logger }));

test('the recorded aftercare histories (follow-up unsatisfied / unanswered, check-in of a CLOSED call, promise reminder, downtime) replay', async () => {
  const workflowBundle = await bundleWorkflowCode({ ...workflowBundleOptions(), logger });
  const histories = RECORDED.map((name) => ({
    workflowId: name,
    history: historyFromJson(JSON.parse(fs.readFileSync(path.join(HISTORIES_DIR, `${name}.json`), 'utf8'))),
  }));
  const results: [string, string | undefined][] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle, replayName: 'aftercare-replay' }, histories)) {
    results.push([result.workflowId, result.error?.message]);
  }
  expect(results).toEqual(RECORDED.map((name) => [name, undefined]));
  for (const { history } of histories) expect(history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name).toBe('aftercareWorkflow');
}, 60_000);
