/** Who issues an agent command and when. Time is an input: the domain never reads the clock. */
export interface AgentCommandContext {
  now: Date;
  /** `apikey:<name>`, `workflow` or `system` */
  actor: string;
}

/** Inputs arrive as clients send them and are checked by the decider (loosely typed on purpose). */
export type AgentCommand =
  | { type: 'RegisterAgent'; data: { agentId: string; input: unknown } }
  | { type: 'UpdateAgent'; data: { input: unknown } }
  | { type: 'ScheduleAbsence'; data: { absenceId: string; input: unknown } }
  | { type: 'CancelAbsence'; data: { absenceId: string } }
  /** any text a client sends (an AgentAvailability when valid): the decider checks it */
  | { type: 'SetAgentAvailability'; data: { availability: string } }
  | { type: 'TakeCall'; data: { callId: string; override?: boolean } }
  | { type: 'ReleaseCall'; data: { callId: string; reason: string } };
