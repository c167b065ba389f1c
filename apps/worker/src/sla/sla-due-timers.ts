import { slaActions, slaRecordCommand, slaRecordKey } from '@app/domain';
import { ServiceCallRepository } from '@app/service-calls';
import { slaAlertId, SlaTimerSinks } from '@app/workflows';
import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InjectedSinks } from '@temporalio/worker';
import { ServiceCallActivitiesService } from '../activities/service-call.activities';

/** setTimeout's longest delay (~24.8 days); later moments are left to the Temporal timer alone. */
const MAX_DELAY_MS = 2 ** 31 - 1;
/** webhook alerts sent at once when many moments fall due together */
const ALERT_CONCURRENCY = 16;

/**
 * The prompt side of the SLA timers. Each call's workflow holds a Temporal timer for its next SLA
 * moment and tells this worker about it (a sink: `SlaTimerSinks`). At that moment this records what
 * the SLA clock says is due for the call as its stream stands then (the same pure rule, commands and
 * idempotency keys as the workflow), sends the alerts, and waits for the call's next moment. When the
 * Temporal timer fires, the workflow's own commands find the records there and get the same events
 * back; alerts go once per id through the outbound ledger, whoever sends them first.
 *
 * Why: a Temporal timer needs a workflow task when it fires, and thousands falling due at one moment
 * queue behind each other on the server (about 80 a second on the embedded dev server of a 2-core
 * machine, a minute for 2,000 calls); this records them all within about a second. It holds nothing
 * durable: after a worker restart, moments armed before it are recorded by the Temporal timers alone.
 */
@Injectable()
export class SlaDueTimers implements OnApplicationShutdown {
  private readonly logger = new Logger('SlaDueTimers');
  private readonly timers = new Map<string, { at: number; handle: NodeJS.Timeout }>();
  private alertsRunning = 0;
  private readonly alertQueue: (() => Promise<void>)[] = [];
  private stopped = false;

  constructor(
    private readonly calls: ServiceCallRepository,
    private readonly activities: ServiceCallActivitiesService,
  ) {}

  /** The call's next SLA moment (epoch ms) is `at`; null: none until the call changes. The latest word wins. */
  armed(callId: string, at: number | null): void {
    const current = this.timers.get(callId);
    if (current?.at === at) return;
    if (current) clearTimeout(current.handle);
    this.timers.delete(callId);
    if (at === null || this.stopped || at - Date.now() > MAX_DELAY_MS) return;
    const handle = setTimeout(() => void this.fire(callId, at), Math.max(0, at - Date.now()));
    handle.unref(); // never keeps the worker alive
    this.timers.set(callId, { at, handle });
  }

  /** Moments waiting (for tests and diagnostics). */
  get pending(): number {
    return this.timers.size;
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    for (const { handle } of this.timers.values()) clearTimeout(handle);
    this.timers.clear();
  }

  private async fire(callId: string, at: number): Promise<void> {
    if (this.timers.get(callId)?.at === at) this.timers.delete(callId);
    if (this.stopped) return;
    try {
      const call = await this.calls.load(callId);
      if (!call) return;
      const now = new Date();
      const { record, nextAt } = slaActions(call, now);
      for (const action of record) {
        await this.activities.issueCommand({ callId, command: slaRecordCommand(action), idempotencyKey: slaRecordKey(action) });
        if (action.kind === 'MET') continue;
        const kind = action.kind;
        const alertId = slaAlertId(callId, action.target, kind, action.dueAt);
        this.sendAlert(() => this.activities.sendSlaAlert({ callId, alertId, kind, target: action.target, dueAt: action.dueAt, at: now.toISOString() }));
      }
      // the call's next moment, as its stream stands now: the chain goes on without waiting for the workflow
      if (nextAt && !this.timers.has(callId)) this.armed(callId, nextAt.getTime());
    } catch (error) {
      // the workflow's own timer records it a little later; nothing is lost
      this.logger.warn(`SLA moment of call ${callId} not recorded here (the workflow's timer will): ${String(error)}`);
    }
  }

  // a bounded number of webhook sends at a time; a failure is left to the workflow's retrying activity
  private sendAlert(send: () => Promise<unknown>): void {
    this.alertQueue.push(async () => {
      await send().catch((error: unknown) => this.logger.warn(`SLA alert not sent here (the workflow will retry it): ${String(error)}`));
    });
    this.drainAlerts();
  }

  private drainAlerts(): void {
    while (this.alertsRunning < ALERT_CONCURRENCY && this.alertQueue.length > 0) {
      const next = this.alertQueue.shift() as () => Promise<void>;
      this.alertsRunning++;
      void next().finally(() => {
        this.alertsRunning--;
        this.drainAlerts();
      });
    }
  }
}

/** The workflow's sinks, bound to the worker's SLA due timers (not called while a history replays). */
export function slaTimerSinks(timers: Pick<SlaDueTimers, 'armed'>): InjectedSinks<SlaTimerSinks> {
  return { slaTimers: { armed: { fn: (_info, callId, at) => timers.armed(callId, at), callDuringReplay: false } } };
}
