import { AgentAbsence } from './routing.types';

/**
 * The one rule for "absent at t": an agent is absent while ANY of her absences that is not cancelled
 * covers t, from inclusive, to exclusive. Routing, the agent's own decider (takeCall), the agents read
 * model and the supervisor that moves calls off absent agents all ask here.
 */
export function isAbsentAt(agent: { readonly absences: readonly AgentAbsence[] }, now: Date): boolean {
  const t = now.getTime();
  return agent.absences.some((absence) => covers(absence, t));
}

/**
 * The absence in force at `now`; when several overlap, the one that ends first (then the one scheduled
 * first), so the answer does not depend on the order the absences are listed in. Its id keys the
 * supervisor's unassignment and its replacement is preferred for the calls it moves.
 */
export function activeAbsence(agent: { readonly absences: readonly AgentAbsence[] }, now: Date): AgentAbsence | undefined {
  const t = now.getTime();
  let found: AgentAbsence | undefined;
  for (const absence of agent.absences) {
    if (covers(absence, t) && (!found || absence.to < found.to)) found = absence;
  }
  return found;
}

function covers(absence: AgentAbsence, t: number): boolean {
  return absence.cancelledAt === null && Date.parse(absence.from) <= t && t < Date.parse(absence.to);
}
