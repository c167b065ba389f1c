/**
 * The situation of the cluster run's stalled call (workflows/test/histories/broken/), made on purpose:
 * two SLA records fall due together (AT_RISK of FIRST_RESPONSE and of RESOLUTION, one timer) and run as
 * parallel local activities. The FIRST_RESPONSE record appends first (version n+1) but its answer is
 * held back; the RESOLUTION record appends next (n+2) and answers at once, so the run first sees n+2
 * behind a gap. A gap-load (loadCallEvents) issued while the first answer is still held back answers
 * either at once (`gapLoad: 'answered-first'`, the history's markers: RESOLUTION, load, FIRST_RESPONSE)
 * or only after the held-back answer (`'answered-last'`: RESOLUTION, FIRST_RESPONSE, load, as in the
 * cluster). Only the calls named in `callIds` are affected.
 *
 * Pass `activities` to the worker (startWorker(bundle, { activities })).
 */
import type { ServiceCallActivities } from '../src/service-call/service-call.activities';
import type { CallEventMessage } from '../src/service-call/service-call.messages';

type Answers = Pick<ServiceCallActivities, 'issueCommand' | 'loadCallEvents'>;

export interface SlaRecordsOutOfOrder {
  activities: Answers;
  /** the calls whose first-response AT_RISK record is held back */
  callIds: Set<string>;
  /** the targets in the order their records answered */
  answered: string[];
  /** gap-loads issued while the first-response answer was held back */
  gapLoadsWhileHeldBack: number;
}

const HOLD_BACK_MS = 600;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

export function slaRecordsAnsweredOutOfOrder(real: Answers, gapLoad: 'answered-first' | 'answered-last'): SlaRecordsOutOfOrder {
  let appended = deferred();
  let answered = deferred();
  let holding = false;
  const scenario: SlaRecordsOutOfOrder = {
    callIds: new Set(),
    answered: [],
    gapLoadsWhileHeldBack: 0,
    activities: {
      async issueCommand(input): Promise<CallEventMessage[]> {
        const { command } = input;
        if (!scenario.callIds.has(input.callId) || command.type !== 'RecordSlaAtRisk') return real.issueCommand(input);
        if (command.data.target === 'FIRST_RESPONSE') {
          const events = await real.issueCommand(input);
          holding = true;
          appended.resolve();
          await sleep(HOLD_BACK_MS);
          holding = false;
          scenario.answered.push('FIRST_RESPONSE');
          answered.resolve();
          [appended, answered] = [deferred(), deferred()];
          return events;
        }
        await Promise.race([appended.promise, sleep(5_000)]); // appends after the first-response record
        const events = await real.issueCommand(input);
        scenario.answered.push(command.data.target);
        return events;
      },
      async loadCallEvents(callId, afterVersion): Promise<CallEventMessage[]> {
        if (scenario.callIds.has(callId) && holding) {
          scenario.gapLoadsWhileHeldBack++;
          if (gapLoad === 'answered-last') await answered.promise.then(() => sleep(150));
        }
        return real.loadCallEvents(callId, afterVersion);
      },
    },
  };
  return scenario;
}
