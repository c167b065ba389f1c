/**
 * A process template is a company's standard operating procedure for one kind of call:
 * ordered phases, each a small dependency graph of steps. A call copies the template it starts
 * with into its ServiceCallOpened event, so it keeps that version for its whole life.
 */
export interface Term {
  term: string;
  definition: string;
}

export interface StepTemplate {
  key: string;
  name: string;
  instructions?: string;
  /** keys of steps in the same phase that must be COMPLETED or SKIPPED first */
  dependsOn: string[];
  /** run by the system (an activity naming `action`), not by a person */
  automated: boolean;
  action?: string;
  role?: string;
  /** ISO 8601 duration, e.g. PT4H */
  expectedDuration?: string;
}

export interface PhaseTemplate {
  key: string;
  name: string;
  steps: StepTemplate[];
}

export interface ProcessTemplate {
  key: string;
  version: number;
  title: string;
  department: string;
  purpose: string;
  terms: Term[];
  phases: PhaseTemplate[];
  /** when this version was defined (ISO 8601); set on stored templates */
  createdAt?: string;
  /** who defined this version: `apikey:<name>`, or `system` for a built-in template */
  definedBy?: string;
}
