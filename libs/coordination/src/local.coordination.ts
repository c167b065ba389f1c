import { Coordination, CoordinationStatus, LeaderRole, Leadership } from './coordination';

/** One process leads everything it starts; critical sections queue in a lane per name (embedded default). */
export class LocalCoordination extends Coordination {
  private readonly lanes = new Map<string, Promise<unknown>>();
  private readonly led = new Map<string, LeaderRole>();

  lead(name: string, role: LeaderRole): Leadership {
    if (this.led.has(name)) throw new Error(`${name} is led already`);
    this.led.set(name, role);
    const started = Promise.resolve(role.start());
    return {
      resign: async () => {
        if (this.led.get(name) !== role) return;
        this.led.delete(name);
        await started.catch(() => undefined);
        await role.stop();
      },
    };
  }

  exclusive<T>(name: string, work: () => Promise<T>): Promise<T> {
    const run = (this.lanes.get(name) ?? Promise.resolve()).then(work, work);
    this.lanes.set(name, run.catch(() => undefined));
    return run;
  }

  status(): CoordinationStatus {
    return { leads: [...this.led.keys()].sort(), waitingFor: [] };
  }

  async close(): Promise<void> {
    const roles = [...this.led.values()];
    this.led.clear();
    for (const role of roles) await role.stop();
  }
}
