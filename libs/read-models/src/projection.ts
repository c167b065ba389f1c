import { ServiceCall } from '@app/domain';
import { RecordedEvent } from '@app/event-store';
import { ReadModelDatabase } from './read-model.database';
import { ReadModelTables } from './read-model.tables';

/**
 * One read model fed by the projector. `apply` runs inside the projector's transaction (`db` is that
 * transaction) together with the checkpoint, and must be idempotent (an event may be delivered again
 * after a crash).
 */
export interface Projection {
  /** the tables it owns; a rebuild empties them */
  readonly tables: readonly (keyof ReadModelTables)[];
  /** resolves to the call's new state when the event changed a call (pushed to subscribers) */
  apply(db: ReadModelDatabase, event: RecordedEvent): Promise<ServiceCall | undefined | void>;
}
