import { isFinished, WEBHOOK_RETRY_DEFAULTS } from '@app/domain';
import { continueAsNew, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import { FoldedCall } from './folded-call';
import { InFlight } from './in-flight';
import { AlertsPart } from './service-call.alerts-part';
import { callEventSignal, callStateQuery, ServiceCallWorkflowInput } from './service-call.messages';
import { HISTORY_LIMIT, PATCHES } from './service-call.patches';
import { ProcessPart } from './service-call.process';
import { alertActivities, commands } from './service-call.proxies';
import { RoutingPart } from './service-call.routing-part';
import { SlaPart } from './service-call.sla-part';

export { HISTORY_LIMIT, PATCHES } from './service-call.patches';

/**
 * The process manager of one service call. It folds the call's events (delivered as signals, or
 * returned by its own commands) with the domain's evolve(), asks the domain's rules what to do next
 * (process, routing, SLA: one part each, beside this file), and does it by issuing commands. It holds
 * no state of its own beyond the folded call and what is in flight.
 */
export async function serviceCallWorkflow(input: ServiceCallWorkflowInput): Promise<void> {
  const call = new FoldedCall(input.callId);
  // Signals that started this run are delivered by setHandler. A run started by the call's first
  // event needs nothing else; one started by a later event (the workflow finished, or was terminated)
  // sees a gap and catches up from the stream in the loop below.
  setHandler(callEventSignal, (event) => call.receive([event]));
  setHandler(callStateQuery, () => call.state);
  const inFlight = new InFlight(() => call.version, () => call.touch());
  // what this run does depends on the release that started it (in this order: markers of its first task)
  const [slaTimers, routing, processAlertWebhook] = [patched(PATCHES.slaTimers), patched(PATCHES.routing), patched(PATCHES.processAlertWebhook)];
  const readsStreamFirst = patched(PATCHES.readsStreamFirst);
  const alerts = new AlertsPart(call, processAlertWebhook, alertActivities(input.webhookRetry ?? WEBHOOK_RETRY_DEFAULTS));
  const parts = { process: new ProcessPart(call, inFlight), routing: new RoutingPart(call, inFlight, routing), sla: new SlaPart(call, inFlight, alerts, slaTimers) };
  let loadedAtVersion = -1;
  let loadsAfterLocalActivities = false; // patch gap-load-after-local-activities: asked only where no local activity runs

  for (;;) {
    const finished = isFinished(call.state);
    const localActivities = inFlight.localActivitiesRunning;
    if (!loadsAfterLocalActivities && localActivities === 0) loadsAfterLocalActivities = patched(PATCHES.gapLoadAfterLocalActivities);
    // a gap in the versions, or a run that has not read the stream yet: read the missing events from the
    // stream instead of waiting for them (a finished run too, since once-per-version: a reopen may wait
    // behind events it never hears of)
    const behind = call.behind || (readsStreamFirst && loadedAtVersion < 0);
    if (behind && loadedAtVersion !== call.version && (!finished || (slaTimers && patched(PATCHES.oncePerVersion)))) {
      // Patch gap-load-after-local-activities. Local activities that run side by side (two SLA records due
      // together) answer a live run one activation each; a replay gets every answer its markers hold in
      // one activation (Core resolves the peeked markers of the task at once, in marker order). A run that
      // loaded on the gap of the first answer (the second record's event) issued a loadCallEvents which
      // its replay, with both answers folded and no gap, never issues: "[TMPRL1100] Missing associated
      // machine for LocalActivity(n)" on every worker, for good (the cluster run's stalled call). So the
      // load waits until no local activity runs, a point every replay reaches with the same answers.
      // No code can replay a history written the old way: reset its run to the workflow task before
      // that load (`temporal workflow reset --event-id <its WorkflowTaskCompleted>`; see the replay spec).
      if (loadsAfterLocalActivities && localActivities > 0) {
        await call.until(() => inFlight.localActivitiesRunning === 0); // not the action's end: an automation may follow its command
        continue;
      }
      loadedAtVersion = call.version;
      call.receive(await inFlight.local(commands.loadCallEvents(call.callId, call.version)));
      continue;
    }
    if (finished) {
      if (!slaTimers || (await finishing(parts, inFlight, alerts, call))) break;
      continue;
    }
    parts.process.next();
    parts.routing.next();
    alerts.failedSteps();
    const wakeAt = parts.sla.next();
    if (slaTimers && inFlight.size === 0 && alerts.size === 0 && historyIsLong(input.historyLimit ?? HISTORY_LIMIT)) {
      // nothing in flight: the new run reads the call from its stream and arms its timers again
      await continueAsNew<typeof serviceCallWorkflow>(input);
    }
    parts.sla.arm(wakeAt);
    await call.nextChange();
  }
}

/**
 * A finished call: its agent releases it first, then the SLA records follow (a resolution in time is
 * MET), one local activity after the other; what is still being recorded or sent is finished before
 * the run ends. Returns whether the run may end; a reopen that arrives meanwhile goes on in this run
 * (its signal is not lost).
 */
async function finishing(parts: { routing: RoutingPart; sla: SlaPart }, inFlight: InFlight, alerts: AlertsPart, call: FoldedCall): Promise<boolean> {
  const releaseThenRecord = () => {
    parts.routing.next();
    if (!parts.routing.enabled || inFlight.size === 0) parts.sla.record();
  };
  // everything in flight, the process's own commands too: the run never ends under a running local activity
  const busy = () => inFlight.size > 0 || alerts.size > 0;
  releaseThenRecord();
  await call.until(() => !busy() || !isFinished(call.state));
  if (!isFinished(call.state) || busy()) return false;
  releaseThenRecord(); // a last look: what waited for the release starts now (nothing, when all is done)
  return !busy();
}

function historyIsLong(limit: number): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || info.historyLength > limit;
}
