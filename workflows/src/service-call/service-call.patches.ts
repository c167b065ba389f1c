/**
 * Patch ids: each guards a change of the commands the workflow issues, so that workflows started by
 * an earlier release replay (see service-call.replay.int.spec.ts). Never rename or reuse one.
 */
export const PATCHES = {
  /** an automation that ran out of retries (or was refused for good) makes its step FAILED; before, the step stayed IN_PROGRESS */
  automationFailureFailsStep: 'automation-failure-fails-step',
  /** SLA timers: AT_RISK / BREACHED (+ escalation) / MET recorded at their moments, alerts sent; continue-as-new for long histories */
  slaTimers: 'sla-timers',
  /** routing: the call is routed to an agent once per routing round; a finished call's agent releases it */
  routing: 'routing',
  /** a FAILED step is also told to the managers by webhook (the processAlerts subscription had it alone) */
  processAlertWebhook: 'process-alert-webhook',
  /**
   * the run always settles (issue 18): an action that succeeded without moving the call is not issued
   * again for the same version (before, ResolveServiceCall answered with no events, or an SLA record
   * whose events waited behind a gap, was issued again and again); a finished run that is behind reads
   * the stream too. Asked where the old code would repeat itself, so runs of earlier releases stop
   * repeating once they run live.
   */
  oncePerVersion: 'once-per-version',
  /**
   * a run reads the call's stream before its first command: one started by a redelivered event after an
   * earlier run ended (the opening event again, say) would otherwise walk the call's history anew,
   * issuing the earlier run's commands again, each answered with its old events or refused
   */
  readsStreamFirst: 'reads-stream-first',
  /**
   * a run that is behind loads the missing events only while no local activity of it runs (the cluster
   * run's stalled call: two SLA records answered out of order, the gap-load taken between the answers
   * was missing on replay, TMPRL1100 for good; see the gap-load in service-call.workflow.ts). Asked at
   * the top of the main loop while no local activity runs, so a run of an earlier release takes it from
   * its first such moment live.
   */
  gapLoadAfterLocalActivities: 'gap-load-after-local-activities',
} as const;

/** Above this many history events a run continues as new (calls live for months; Temporal suggests it too). */
export const HISTORY_LIMIT = 2_000;
