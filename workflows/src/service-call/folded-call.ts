import { callExists, evolve, initialServiceCallState, ServiceCall, ServiceCallEvent, ServiceCallState } from '@app/domain';
import { condition } from '@temporalio/workflow';
import type { CallEventMessage } from './service-call.messages';

/**
 * The call as the workflow knows it: its events folded with the domain's evolve(), strictly in stream
 * order. Events that arrive ahead of a gap wait for it; duplicates (redelivery) are ignored by version.
 * Every part of the workflow reads the call from here, and the main loop waits here for the next change.
 */
export class FoldedCall {
  state: ServiceCallState = initialServiceCallState;
  private readonly waiting = new Map<number, CallEventMessage>();
  private changed = false;

  /** `folded` hears of each event as it is folded (in stream order, once) */
  constructor(
    readonly callId: string,
    private readonly folded?: (event: CallEventMessage) => void,
  ) {}

  get version(): number {
    return this.state.version;
  }

  /** the call, once its opening event is folded */
  get call(): ServiceCall | undefined {
    return callExists(this.state) ? this.state : undefined;
  }

  /** events after a gap are waiting: the stream has what is missing */
  get hasGap(): boolean {
    return this.waiting.size > 0;
  }

  /** events after a gap are waiting, or the call was never opened here: the stream has what is missing */
  get behind(): boolean {
    return this.hasGap || !callExists(this.state);
  }

  receive(events: readonly CallEventMessage[]): void {
    for (const event of events) if (event.version > this.state.version) this.waiting.set(event.version, event);
    for (let next = this.waiting.get(this.state.version + 1); next; next = this.waiting.get(this.state.version + 1)) {
      this.waiting.delete(next.version);
      this.state = evolve(this.state, { type: next.type, data: next.data } as ServiceCallEvent);
      this.changed = true;
      this.folded?.(next);
    }
  }

  /** something the loop should look at happened: an event, a settled action, a timer */
  touch(): void {
    this.changed = true;
  }

  /** waits until `ready` holds (checked whenever the workflow wakes) */
  until(ready: () => boolean): Promise<void> {
    return condition(ready);
  }

  /** waits for the next change: a signal, a settled action or a timer, never spins */
  nextChange(): Promise<void> {
    this.changed = false;
    return condition(() => this.changed);
  }
}
