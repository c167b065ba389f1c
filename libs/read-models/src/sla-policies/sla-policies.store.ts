import { SlaPolicyDefined } from '@app/domain';
import { ReadModelDatabase } from '../read-model.database';

/** A stored policy with its bookkeeping: version (count of definitions of the key), definedBy, at. */
export type StoredSlaPolicy = SlaPolicyDefined['data'];

/** Queries over the SLA policies' read model. */
export class SlaPoliciesStore {
  private readonly all;

  constructor(db: ReadModelDatabase) {
    this.all = db.prepare<[], string>('SELECT doc FROM sla_policies ORDER BY key').pluck();
  }

  /** The newest definition of every policy, by key. */
  latest(): StoredSlaPolicy[] {
    return this.all.all().map((doc) => JSON.parse(doc) as StoredSlaPolicy);
  }
}
