import { SlaPolicyDefined } from '@app/domain';
import { RecordedEvent } from '@app/event-store';
import { Projection } from '../projection';
import { ReadModelDatabase } from '../read-model.database';

/** The newest definition of each SLA policy. Idempotent: a redelivered or older definition never overwrites a newer one. */
export class SlaPoliciesProjection implements Projection {
  readonly tables = ['sla_policies'];
  private readonly upsert;

  constructor(db: ReadModelDatabase) {
    this.upsert = db.prepare(`
      INSERT INTO sla_policies (key, version, doc) VALUES (?, ?, ?)
      ON CONFLICT (key) DO UPDATE SET version = excluded.version, doc = excluded.doc WHERE excluded.version > sla_policies.version`);
  }

  apply(event: RecordedEvent): void {
    if (event.type !== 'SlaPolicyDefined') return;
    const data = event.data as SlaPolicyDefined['data'];
    this.upsert.run(data.key, data.version, JSON.stringify(data));
  }
}
