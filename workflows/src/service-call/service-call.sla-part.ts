import { SlaAction, slaActions, slaRecordCommand, slaRecordKey } from '@app/domain';
import { CancellationScope, log, proxySinks, sleep } from '@temporalio/workflow';
import type { FoldedCall } from './folded-call';
import type { InFlight } from './in-flight';
import { slaAlertId } from './service-call.activities';
import type { AlertsPart } from './service-call.alerts-part';
import type { SlaTimerSinks } from './service-call.messages';
import { issue } from './service-call.proxies';

// Tells the worker's SLA due timers when this call's next SLA moment is (not part of the history: no replay concerns).
const { slaTimers: slaDueTimers } = proxySinks<SlaTimerSinks>();

/**
 * The SLA part: records what the SLA clock says is due at workflow time (AT_RISK, BREACHED, MET), sends
 * the alert of an AT_RISK or BREACHED once it is recorded, and keeps a timer running for the next moment.
 *
 * The SLA is judged at the latest moment the history itself holds: the call's last event, or the
 * moment a timer fired for. Not Date.now(): activations inside one workflow task (local activities
 * resolving) may see another time on replay than they saw when they ran, and the commands would differ.
 */
export class SlaPart {
  private readonly armedFor = new Set<number>(); // the moments SLA timers are running for
  private firedUpTo = 0;
  private reportedWakeAt: number | null | undefined; // the next SLA moment last told to the worker's due timers

  /** @param enabled false in runs of the releases before SLA timers (their histories have no timers) */
  constructor(
    private readonly call: FoldedCall,
    private readonly inFlight: InFlight,
    private readonly alerts: AlertsPart,
    readonly enabled: boolean,
  ) {}

  /**
   * Records what is due once the process's own commands are done (one local activity at a time keeps
   * the order of their results, and so the replay, the same whatever order they complete in), tells
   * the worker's due timers, and returns when to look again (null: only a change of the call can move the SLA).
   */
  next(): number | null {
    const wakeAt = this.enabled && this.inFlight.size === 0 ? this.record() : null;
    if (this.enabled && this.inFlight.size === 0 && wakeAt !== this.reportedWakeAt) {
      this.reportedWakeAt = wakeAt;
      slaDueTimers.armed(this.call.callId, wakeAt);
    }
    return wakeAt;
  }

  /** Records what is due now (commands keyed by target and due time, so a repeat appends nothing); returns when to look again. */
  record(): number | null {
    const call = this.call.call;
    if (!call) return null;
    const now = this.now();
    const { record, nextAt } = slaActions(call, new Date(now));
    for (const action of record) {
      const key = slaRecordKey(action);
      if (!this.inFlight.mayStart(key)) continue;
      this.inFlight.start(key, () => issue(this.call, this.inFlight, slaRecordCommand(action), key), {
        done: () => {
          if (action.kind !== 'MET') this.sendAlert(action, now);
        },
        failed: (error) => log.warn('SLA record failed', { callId: this.call.callId, action, error: String(error) }),
      });
    }
    return nextAt ? nextAt.getTime() : null;
  }

  /**
   * Starts a timer for `wakeAt` unless one runs for it. The timer races the call's changes; a change (a
   * pause, the first response) that moves the moment arms a new one. Timers are never cancelled: one
   * that is no longer wanted wakes the loop once for nothing (cheaper than a cancel command, and the
   * time-skipping server mishandles a timer started and cancelled within one workflow task held open by
   * local activities).
   */
  arm(wakeAt: number | null): void {
    if (wakeAt === null || this.armedFor.has(wakeAt)) return;
    this.armedFor.add(wakeAt);
    // outside the root scope: the run may end (or be evicted from the cache) with timers pending, and
    // they must then simply be dropped, never cancelled (a cancel would be a command of its own)
    void CancellationScope.nonCancellable(() => sleep(Math.max(1, wakeAt - Date.now()))).then(() => {
      this.armedFor.delete(wakeAt);
      this.firedUpTo = Math.max(this.firedUpTo, wakeAt);
      this.call.touch();
    });
  }

  private now(): number {
    const call = this.call.call;
    return Math.max(this.firedUpTo, call ? Date.parse(call.updatedAt) : 0);
  }

  private sendAlert(action: SlaAction, now: number): void {
    const kind = action.kind as 'AT_RISK' | 'BREACHED';
    const alertId = slaAlertId(this.call.callId, action.target, kind, action.dueAt);
    const at = new Date(now).toISOString();
    this.alerts.track(this.alerts.send.sendSlaAlert({ callId: this.call.callId, alertId, kind, target: action.target, dueAt: action.dueAt, at }), 'SLA alert not sent', {
      alertId,
    });
  }
}
