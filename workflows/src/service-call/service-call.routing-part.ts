import { nextRoutingAction } from '@app/domain';
import { log } from '@temporalio/workflow';
import type { FoldedCall } from './folded-call';
import type { InFlight } from './in-flight';
import { commands } from './service-call.proxies';

/**
 * The routing part: routes the call once per routing round (at open, after its agent was taken off it,
 * after a reopen) and releases the agent of a finished call. Waits, like the SLA records, until the
 * process's own commands are done.
 */
export class RoutingPart {
  private readonly routedKeys = new Set<string>(); // routing rounds routed and agents released by this run

  /** @param enabled false in runs of the releases before routing (they replay without it) */
  constructor(
    private readonly call: FoldedCall,
    private readonly inFlight: InFlight,
    readonly enabled: boolean,
  ) {}

  next(): void {
    const call = this.call.call;
    if (!this.enabled || !call || this.inFlight.size > 0) return;
    const action = nextRoutingAction(call);
    if (!action) return;
    const key = action.kind === 'RouteCall' ? `route:${action.round}` : `release:${action.agentId}:${action.round}`;
    if (this.routedKeys.has(key) || !this.inFlight.mayStart(key)) return;
    const { callId } = this.call;
    const run = () =>
      action.kind === 'RouteCall'
        ? this.inFlight.local(commands.routeCall({ callId, round: action.round, afterVersion: call.version })).then((events) => this.call.receive(events))
        : this.inFlight.local(commands.releaseAgent({ callId, agentId: action.agentId }));
    this.inFlight.start(key, run, {
      done: () => this.routedKeys.add(key),
      failed: (error) => log.warn('routing failed', { callId, action: action.kind, error: String(error) }),
    });
  }
}
