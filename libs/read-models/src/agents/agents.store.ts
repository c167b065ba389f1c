import { Agent, AgentAvailability, isAbsentAt, isOpen, normaliseCategory, RoutingCandidate, routingCandidateOf, speaksLanguage } from '@app/domain';
import { ReadModelDatabase } from '../read-model.database';

/** agents(filter): every given criterion must hold. */
export interface AgentFilter {
  availability?: AgentAvailability | null;
  /** covers this region (an agent with "*" covers all) */
  region?: string | null;
  /** has a CATEGORY or PRODUCT skill with this key (case-insensitive) */
  skill?: string | null;
  /** speaks this language as routing counts it: the same tag or the same primary language ("en" and "en-gb") */
  language?: string | null;
  /** true: could take a new call at `now` (AVAILABLE, not absent, within working hours, below capacity); false: could not */
  available?: boolean | null;
}

export interface AgentLoadFigures {
  agentId: string;
  name: string;
  availability: AgentAvailability;
  absent: boolean;
  openCalls: number;
  capacity: number;
  loadRatio: number;
  /** calls taken since 00:00 UTC of `now` */
  assignmentsToday: number;
  /** nearest-rank median of released assignments (taken -> released), ms; undefined before the first release */
  medianHandlingMs?: number;
}

export interface TeamLoad {
  agents: AgentLoadFigures[];
  /** max - min load ratio over the agents at work (AVAILABLE and not absent); 0 with fewer than two */
  loadSpread: number;
  /** the same spread in open calls */
  openCallsSpread: number;
  /** how many agents the spreads are over */
  agentsAtWork: number;
}

/** Queries over the agents' read model. The team is small (hundreds to thousands): filters on skills and regions run in memory over one scan. */
export class AgentsStore {
  constructor(private readonly db: ReadModelDatabase) {}

  async get(id: string): Promise<Agent | undefined> {
    const row = await this.db.selectFrom('agents').select('doc').where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : (JSON.parse(row.doc) as Agent);
  }

  /** Every agent, by name. */
  async all(): Promise<Agent[]> {
    return this.docs();
  }

  /** Every agent as the routing policy sees it (routeCall's candidates). */
  async candidates(): Promise<RoutingCandidate[]> {
    return (await this.all()).map(routingCandidateOf);
  }

  async list(filter: AgentFilter = {}, now: Date = new Date()): Promise<Agent[]> {
    const agents = await this.docs(filter.availability ?? undefined);
    const region = filter.region?.trim().toLowerCase();
    const skill = filter.skill ? normaliseCategory(filter.skill) : undefined;
    const language = filter.language?.trim().toLowerCase();
    return agents.filter(
      (agent) =>
        (!region || agent.regions.includes('*') || agent.regions.includes(region)) &&
        (!skill || agent.skills.some((s) => normaliseCategory(s.key) === skill)) &&
        (!language || speaksLanguage(agent.languages, language)) &&
        (filter.available === undefined || filter.available === null || canTakeCallAt(agent, now) === filter.available),
    );
  }

  /** Load figures per agent and the team's spread, at `now`. */
  async stats(now: Date = new Date()): Promise<TeamLoad> {
    const dayStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())).toISOString();
    const agents: AgentLoadFigures[] = [];
    for (const agent of await this.all()) {
      agents.push({
        agentId: agent.id,
        name: agent.name,
        availability: agent.availability,
        absent: isAbsentAt(agent, now),
        openCalls: agent.openCalls.length,
        capacity: agent.capacity,
        loadRatio: agent.openCalls.length / agent.capacity,
        assignmentsToday: await this.takenSince(agent.id, dayStart),
        medianHandlingMs: await this.medianHandling(agent.id),
      });
    }
    // fairness is about the agents routing balances between: those at work now
    const atWork = agents.filter((a) => a.availability === 'AVAILABLE' && !a.absent);
    const spread = (values: number[]) => (values.length < 2 ? 0 : Math.max(...values) - Math.min(...values));
    return {
      agents,
      loadSpread: spread(atWork.map((a) => a.loadRatio)),
      openCallsSpread: spread(atWork.map((a) => a.openCalls)),
      agentsAtWork: atWork.length,
    };
  }

  /** Every agent (or those of one availability), by name. */
  private async docs(availability?: AgentAvailability): Promise<Agent[]> {
    let query = this.db.selectFrom('agents').select('doc');
    if (availability) query = query.where('availability', '=', availability);
    const rows = await query.orderBy('name').orderBy('id').execute();
    return rows.map((r) => JSON.parse(r.doc) as Agent);
  }

  private async takenSince(agentId: string, since: string): Promise<number> {
    const row = await this.db
      .selectFrom('agent_assignments')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('agent_id', '=', agentId)
      .where('taken_at', '>=', since)
      .executeTakeFirstOrThrow();
    return row.n;
  }

  /** Nearest rank: the value at rank ceil(n / 2) of the ascending handling times. */
  private async medianHandling(agentId: string): Promise<number | undefined> {
    const handled = this.db.selectFrom('agent_assignments').where('agent_id', '=', agentId).where('handling_ms', 'is not', null);
    const { n } = await handled.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    if (n === 0) return undefined;
    const row = await handled
      .select('handling_ms')
      .orderBy('handling_ms')
      .limit(1)
      .offset(Math.ceil(n / 2) - 1)
      .executeTakeFirst();
    return row?.handling_ms ?? undefined;
  }
}

/** Could the agent be given a new call at `now`: AVAILABLE, not absent, within working hours, below capacity. */
export function canTakeCallAt(agent: Agent, now: Date): boolean {
  return agent.availability === 'AVAILABLE' && !isAbsentAt(agent, now) && isOpen(now, agent.workingHours) && agent.openCalls.length < agent.capacity;
}
