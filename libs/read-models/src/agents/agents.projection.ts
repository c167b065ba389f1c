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
  readonly tables = ['agents', 'agent_assignments'];
  private readonly current;
  private readonly upsert;
  private readonly taken;
  private readonly released;

  constructor(db: ReadModelDatabase) {
    this.current = db.prepare<[string], { version: number; doc: string }>('SELECT version, doc FROM agents WHERE id = ?');
    this.upsert = db.prepare(`
      INSERT INTO agents (id, version, name, availability, open_calls, capacity, load_ratio, last_assigned_at, doc)
      VALUES (@id, @version, @name, @availability, @openCalls, @capacity, @loadRatio, @lastAssignedAt, @doc)
      ON CONFLICT (id) DO UPDATE SET version = excluded.version, name = excluded.name, availability = excluded.availability,
        open_calls = excluded.open_calls, capacity = excluded.capacity, load_ratio = excluded.load_ratio,
        last_assigned_at = excluded.last_assigned_at, doc = excluded.doc`);
    this.taken = db.prepare('INSERT OR IGNORE INTO agent_assignments (agent_id, taken_at, call_id, override) VALUES (?, ?, ?, ?)');
    this.released = db.prepare(`
      UPDATE agent_assignments SET released_at = @at, handling_ms = max(0, CAST(round((julianday(@at) - julianday(taken_at)) * 86400000) AS INTEGER))
      WHERE agent_id = @agentId AND call_id = @callId AND released_at IS NULL`);
  }

  apply(event: RecordedEvent): void {
    if (!TYPES.has(event.type)) return;
    const agentId = String(event.data.agentId);
    const row = this.current.get(agentId);
    if (row && event.streamVersion <= row.version) return;
    const before: AgentState = row ? (JSON.parse(row.doc) as Agent) : initialAgentState;
    const after = evolveAgent(before, event as unknown as AgentEvent);
    if (!agentExists(after)) return;
    // the stream's version, not a count of the events seen: a rebuild from a partial log stays aligned
    const agent: Agent = { ...after, version: event.streamVersion };
    this.upsert.run({
      id: agent.id,
      version: agent.version,
      name: agent.name,
      availability: agent.availability,
      openCalls: agent.openCalls.length,
      capacity: agent.capacity,
      loadRatio: agentLoadRatio(agent),
      lastAssignedAt: agent.lastAssignedAt,
      doc: JSON.stringify(agent),
    });
    const held = agentExists(before) && before.openCalls.includes(String(event.data.callId));
    if (event.type === 'AgentCallTaken' && !held) this.taken.run(agentId, event.data.at, event.data.callId, event.data.override ? 1 : 0);
    if (event.type === 'AgentCallReleased' && held) this.released.run({ agentId, callId: event.data.callId, at: event.data.at });
  }
}
