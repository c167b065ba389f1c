import { SlaPolicyDefined } from '@app/domain';
import { ReadModelDatabase } from '../read-model.database';

/** A stored policy with its bookkeeping: version (count of definitions of the key), definedBy, at. */
export type StoredSlaPolicy = SlaPolicyDefined['data'];

/** Queries over the SLA policies' read model. */
export class SlaPoliciesStore {
  constructor(private readonly db: ReadModelDatabase) {}

  /** The newest definition of every policy, by key. */
  async latest(): Promise<StoredSlaPolicy[]> {
    const rows = await this.db.selectFrom('sla_policies').select('doc').orderBy('key').execute();
    return rows.map((r) => JSON.parse(r.doc) as StoredSlaPolicy);
  }
}
