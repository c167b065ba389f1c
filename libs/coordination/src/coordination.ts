/**
 * Coordination of the replicas of one deployment: which process runs a singleton part (the projector,
 * the workflow dispatcher, the routing supervisor, the SLA due timers), and which runs a critical
 * section (a routing decision) at a time.
 *
 * Embedded default (one API, one worker, SQLite): LocalCoordination, where every part is led by the
 * process that starts it and a critical section is a lane inside that process. Deployed with PostgreSQL:
 * PostgresCoordination, where both are PostgreSQL advisory locks held by the replicas' sessions, so a
 * replica that dies (even kill -9) releases them with its connection and another one takes over.
 */
export interface LeaderRole {
  /** starts the part: this process leads it now */
  start(): Promise<void> | void;
  /** stops the part: this process led it and no longer does (deposed, or shutting down) */
  stop(): Promise<void> | void;
}

export interface Leadership {
  /** gives up leadership (stopping the part if it runs) and stops trying */
  resign(): Promise<void>;
}

export interface CoordinationStatus {
  /** the parts this process leads */
  leads: string[];
  /** the parts this process would lead, led by another replica now */
  waitingFor: string[];
}

export abstract class Coordination {
  /** Runs `role` in this process whenever it leads `name`; at most one process leads a name at a time. */
  abstract lead(name: string, role: LeaderRole): Leadership;
  /** Runs `work` while no other holder of `name` (in this process or any other) runs its own. */
  abstract exclusive<T>(name: string, work: () => Promise<T>): Promise<T>;
  abstract status(): CoordinationStatus;
  abstract close(): Promise<void>;
}
