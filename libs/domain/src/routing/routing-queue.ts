import { routeCallsWith } from './routing-policy';
import { QueuedCall, RoutingCandidate, RoutingDecision } from './routing.types';

/**
 * The queue of calls no agent could take (issue 5, item 4): ordered by SLA due time, then age, so
 * no newer call overtakes an older one of the same urgency. Calls without an SLA due time wait behind
 * every call that has one.
 */

function instant(value: string): number {
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? Infinity : ms;
}

/** Queue order: dueAt soonest first (null last), then receivedAt oldest, then queuedAt, then callId. */
export function compareQueued(a: QueuedCall, b: QueuedCall): number {
  const dueA = a.dueAt === null ? Infinity : instant(a.dueAt);
  const dueB = b.dueAt === null ? Infinity : instant(b.dueAt);
  if (dueA !== dueB) return dueA < dueB ? -1 : 1;
  const receivedA = instant(a.receivedAt);
  const receivedB = instant(b.receivedAt);
  if (receivedA !== receivedB) return receivedA < receivedB ? -1 : 1;
  const queuedA = instant(a.queuedAt);
  const queuedB = instant(b.queuedAt);
  if (queuedA !== queuedB) return queuedA < queuedB ? -1 : 1;
  return a.callId < b.callId ? -1 : a.callId > b.callId ? 1 : 0;
}

/** The queue in serving order (a new array). */
export function orderQueue(queue: readonly QueuedCall[]): QueuedCall[] {
  return [...queue].sort(compareQueued);
}

export interface QueueServing {
  /** In serving order; each decision is ASSIGNED. */
  assignments: { callId: string; decision: Extract<RoutingDecision, { outcome: 'ASSIGNED' }> }[];
  /** Still waiting, in queue order. */
  remaining: QueuedCall[];
}

/**
 * Serves the queue in order against the candidates, counting each assignment into the agent's load
 * (and lastAssignedAt = now) before the next call is routed. A call that finds nobody stays and the
 * next one is tried: it can only get an agent that call could not use (wrong region or skill, say),
 * because loads only grow as the queue is served. The candidates passed in are not changed.
 */
export function serveQueue(queue: readonly QueuedCall[], candidates: readonly RoutingCandidate[], now: Date): QueueServing {
  const route = routeCallsWith(now);
  const nowIso = now.toISOString();
  const pool = candidates.map((c) => ({ ...c }));
  const byId = new Map(pool.map((c) => [c.agentId, c]));
  let spare = pool.reduce((sum, c) => sum + Math.max(0, c.capacity - c.openCalls), 0);
  const assignments: QueueServing['assignments'] = [];
  const remaining: QueuedCall[] = [];
  for (const call of orderQueue(queue)) {
    // Every agent full: nothing further can be assigned, and routing each call would only say so.
    if (spare <= 0) {
      remaining.push(call);
      continue;
    }
    const decision = route(call.request, pool);
    if (decision.outcome !== 'ASSIGNED') {
      remaining.push(call);
      continue;
    }
    const agent = byId.get(decision.agentId) as RoutingCandidate;
    agent.openCalls += 1;
    agent.lastAssignedAt = nowIso;
    spare -= 1;
    assignments.push({ callId: call.callId, decision });
  }
  return { assignments, remaining };
}

/**
 * Whether a call about to be routed must wait behind the calls already waiting: served in order
 * together with them (it comes after every call of the same or more urgency), the waiting ones get
 * agents and it gets none. Routing it straight away would let it overtake them.
 */
export function mustWaitBehind(call: QueuedCall, waiting: readonly QueuedCall[], candidates: readonly RoutingCandidate[], now: Date): boolean {
  const others = waiting.filter((w) => w.callId !== call.callId);
  if (others.length === 0) return false;
  const { assignments } = serveQueue([...others, call], candidates, now);
  return assignments.length > 0 && !assignments.some((a) => a.callId === call.callId);
}
