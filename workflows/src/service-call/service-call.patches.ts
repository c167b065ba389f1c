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
} as const;

/** Above this many history events a run continues as new (calls live for months; Temporal suggests it too). */
export const HISTORY_LIMIT = 2_000;
