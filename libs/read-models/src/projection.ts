import { ServiceCall } from '@app/domain';
import { RecordedEvent } from '@app/event-store';

/**
 * One read model fed by the projector. `apply` runs inside the projector's transaction together with
 * the checkpoint, and must be idempotent (an event may be delivered again after a crash).
 */
export interface Projection {
  /** the tables it owns; a rebuild empties them */
  readonly tables: readonly string[];
  /** returns the call's new state when the event changed a call (pushed to subscribers) */
  apply(event: RecordedEvent): ServiceCall | undefined | void;
}
