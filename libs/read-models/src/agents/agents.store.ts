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
  private readonly one;
  private readonly every;
  private readonly byAvailability;
  private readonly takenSince;
  private readonly handledCount;
  private readonly handledAt;

  constructor(db: ReadModelDatabase) {
    this.one = db.prepare<[string], string>('SELECT doc FROM agents WHERE id = ?').pluck();
    this.every = db.prepare<[], string>('SELECT doc FROM agents ORDER BY name, id').pluck();
    this.byAvailability = db.prepare<[string], string>('SELECT doc FROM agents WHERE availability = ? ORDER BY name, id').pluck();
    this.takenSince = db.prepare<[string, string], number>('SELECT count(*) FROM agent_assignments WHERE agent_id = ? AND taken_at >= ?').pluck();
    this.handledCount = db.prepare<[string], number>('SELECT count(*) FROM agent_assignments WHERE agent_id = ? AND handling_ms IS NOT NULL').pluck();
    this.handledAt = db
      .prepare<[string, number], number>('SELECT handling_ms FROM agent_assignments WHERE agent_id = ? AND handling_ms IS NOT NULL ORDER BY handling_ms LIMIT 1 OFFSET ?')
      .pluck();
  }

  get(id: string): Agent | undefined {
    const doc = this.one.get(id);
    return doc === undefined ? undefined : (JSON.parse(doc) as Agent);
  }

  /** Every agent, by name. */
  all(): Agent[] {
    return this.every.all().map((doc) => JSON.parse(doc) as Agent);
  }

  /** Every agent as the routing policy sees it (routeCall's candidates). */
  candidates(): RoutingCandidate[] {
    return this.all().map(routingCandidateOf);
  }

  list(filter: AgentFilter = {}, now: Date = new Date()): Agent[] {
    const docs = filter.availability ? this.byAvailability.all(filter.availability) : this.every.all();
    const region = filter.region?.trim().toLowerCase();
    const skill = filter.skill ? normaliseCategory(filter.skill) : undefined;
    const language = filter.language?.trim().toLowerCase();
    return docs
      .map((doc) => JSON.parse(doc) as Agent)
      .filter(
        (agent) =>
          (!region || agent.regions.includes('*') || agent.regions.includes(region)) &&
          (!skill || agent.skills.some((s) => normaliseCategory(s.key) === skill)) &&
          (!language || speaksLanguage(agent.languages, language)) &&
          (filter.available === undefined || filter.available === null || canTakeCallAt(agent, now) === filter.available),
      );
  }

  /** Load figures per agent and the team's spread, at `now`. */
  stats(now: Date = new Date()): TeamLoad {
    const dayStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())).toISOString();
    const agents = this.all().map((agent): AgentLoadFigures => ({
      agentId: agent.id,
      name: agent.name,
      availability: agent.availability,
      absent: isAbsentAt(agent, now),
      openCalls: agent.openCalls.length,
      capacity: agent.capacity,
      loadRatio: agent.openCalls.length / agent.capacity,
      assignmentsToday: this.takenSince.get(agent.id, dayStart) ?? 0,
      medianHandlingMs: this.medianHandling(agent.id),
    }));
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

  /** Nearest rank: the value at rank ceil(n / 2) of the ascending handling times. */
  private medianHandling(agentId: string): number | undefined {
    const n = this.handledCount.get(agentId) ?? 0;
    return n === 0 ? undefined : (this.handledAt.get(agentId, Math.ceil(n / 2) - 1) ?? undefined);
  }
}

/** Could the agent be given a new call at `now`: AVAILABLE, not absent, within working hours, below capacity. */
export function canTakeCallAt(agent: Agent, now: Date): boolean {
  return agent.availability === 'AVAILABLE' && !isAbsentAt(agent, now) && isOpen(now, agent.workingHours) && agent.openCalls.length < agent.capacity;
}
