import { Agent, agentExists, AgentEvent, AGENT_EVENT_TYPES, AgentState, agentLoadRatio, evolveAgent, initialAgentState } from '@app/domain';
import { RecordedEvent } from '@app/event-store';
import { Projection } from '../projection';
import { ReadModelDatabase } from '../read-model.database';

const TYPES = new Set<string>(AGENT_EVENT_TYPES);

/**
 * Agents as their streams make them (the domain's own evolveAgent over the stored document), plus one
 * row per assignment (taken_at .. released_at) for the load figures. Idempotent: an event at or below
 * the agent's stored version was applied already and is skipped, assignments included.
 */
export class AgentsProjection implements Projection {
  readonly tables = ['agents', 'agent_assignments'] as const;

  async apply(db: ReadModelDatabase, event: RecordedEvent): Promise<void> {
    if (!TYPES.has(event.type)) return;
    const agentId = String(event.data.agentId);
    const row = await db.selectFrom('agents').select(['version', 'doc']).where('id', '=', agentId).executeTakeFirst();
    if (row && event.streamVersion <= row.version) return;
    const before: AgentState = row ? (JSON.parse(row.doc) as Agent) : initialAgentState;
    const after = evolveAgent(before, event as unknown as AgentEvent);
    if (!agentExists(after)) return;
    // the stream's version, not a count of the events seen: a rebuild from a partial log stays aligned
    const agent: Agent = { ...after, version: event.streamVersion };
    const columns = {
      version: agent.version,
      name: agent.name,
      availability: agent.availability,
      open_calls: agent.openCalls.length,
      capacity: agent.capacity,
      load_ratio: agentLoadRatio(agent),
      last_assigned_at: agent.lastAssignedAt ?? null,
      doc: JSON.stringify(agent),
    };
    await db
      .insertInto('agents')
      .values({ id: agent.id, ...columns })
      .onConflict((oc) => oc.column('id').doUpdateSet(columns))
      .execute();
    const callId = String(event.data.callId);
    const held = agentExists(before) && before.openCalls.includes(callId);
    const at = String(event.data.at);
    if (event.type === 'AgentCallTaken' && !held) {
      await db
        .insertInto('agent_assignments')
        .values({ agent_id: agentId, taken_at: at, call_id: callId, override: Boolean(event.data.override) })
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
    if (event.type === 'AgentCallReleased' && held) await released(db, agentId, callId, at);
  }
}

/** The open assignment of the call ends: its handling time is from taken to released (never negative). */
async function released(db: ReadModelDatabase, agentId: string, callId: string, at: string): Promise<void> {
  const open = db.selectFrom('agent_assignments').where('agent_id', '=', agentId).where('call_id', '=', callId).where('released_at', 'is', null);
  for (const { taken_at } of await open.select('taken_at').execute()) {
    await db
      .updateTable('agent_assignments')
      .set({ released_at: at, handling_ms: Math.max(0, Date.parse(at) - Date.parse(taken_at)) })
      .where('agent_id', '=', agentId)
      .where('taken_at', '=', taken_at)
      .where('call_id', '=', callId)
      .execute();
  }
}
