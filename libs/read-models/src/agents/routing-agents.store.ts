import { Agent } from '@app/domain';
import { ReadModelDatabase } from '../read-model.database';
import { prepare } from '../read-model.sql';
import { RoutingAgentsTable } from '../read-model.tables';

const VERSIONS = prepare({}, (db) => db.selectFrom('routing_agents').select(['agent_id', 'version']));

/** Only forward: a row at a newer version stays as it is, so writers landing in any order leave the newest. */
const RECORD = prepare({ agent_id: true, version: true, doc: true }, (db, row: RoutingAgentsTable) =>
  db
    .insertInto('routing_agents')
    .values(row)
    .onConflict((oc) =>
      oc
        .column('agent_id')
        .doUpdateSet({ version: (eb) => eb.ref('excluded.version'), doc: (eb) => eb.ref('excluded.doc') })
        .whereRef('excluded.version', '>', 'routing_agents.version'),
    ),
);

/**
 * The agents as routing decisions left them, shared by every worker (table `routing_agents`, in the
 * read models' database).
 *
 * Routing decides on the agents read model, which lags behind the log (the projector runs in the API).
 * Every decision changes an agent (a take), and the next decision, in this worker or another, must see
 * that, or a burst piles onto the agent every decision saw idle. So routing records here each agent's
 * state as its stream answered routing (a take, a refused take read again, a release), and decides on
 * `newest()`: per agent, whichever of the read model's and this table's states has the higher stream
 * version. A take or a refusal is recorded inside the routing critical section, so the next decision
 * (which reads after it) sees it; a release is recorded outside it, and is seen by the decisions after
 * it lands. Rows are never deleted (a rebuild of the read models empties the table): one per agent
 * routing ever changed, of which a decision reads only the versions, and the documents of those ahead
 * of both the read model and what this process has read before.
 */
export class RoutingAgentsStore {
  /** the newest documents this process recorded or read from the table, by agent (until the read model shows them) */
  private readonly known = new Map<string, Agent>();

  constructor(private readonly db: ReadModelDatabase) {}

  /**
   * Keeps `agent` (as its stream answered) unless the table has them at this version or a newer one.
   * This process sees it from now on even when the write fails (and throws).
   */
  async record(agent: Agent): Promise<void> {
    this.remember(agent);
    await RECORD.execute(this.db, { agent_id: agent.id, version: agent.version, doc: JSON.stringify(agent) });
  }

  /**
   * The agents as every earlier routing decision left them: each agent of `readModel` (the agents read
   * model, possibly behind), or routing's own state of them when that is newer; also the agents routing
   * changed that the read model does not show yet.
   */
  async newest(readModel: ReadonlyMap<string, Agent>): Promise<Agent[]> {
    const rows = await VERSIONS.execute(this.db, {});
    const ahead = rows.filter((r) => r.version > Math.max(readModel.get(r.agent_id)?.version ?? 0, this.known.get(r.agent_id)?.version ?? 0));
    if (ahead.length > 0) {
      const ids = ahead.map((r) => r.agent_id);
      const docs = await this.db.selectFrom('routing_agents').select('doc').where('agent_id', 'in', ids).execute();
      for (const { doc } of docs) this.remember(JSON.parse(doc) as Agent);
    }
    // every row ahead of the read model is known now
    const merged = new Map(readModel);
    for (const [id, routed] of this.known) {
      const shown = readModel.get(id);
      if (!shown || shown.version < routed.version) merged.set(id, routed);
      else this.known.delete(id); // the read model has caught up: its own document from now on
    }
    return [...merged.values()];
  }

  private remember(agent: Agent): void {
    const known = this.known.get(agent.id);
    if (!known || known.version < agent.version) this.known.set(agent.id, agent);
  }
}
