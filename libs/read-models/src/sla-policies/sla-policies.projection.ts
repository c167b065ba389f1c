import { SlaPolicyDefined } from '@app/domain';
import { RecordedEvent } from '@app/event-store';
import { Projection } from '../projection';
import { ReadModelDatabase } from '../read-model.database';

/** The newest definition of each SLA policy. Idempotent: a redelivered or older definition never overwrites a newer one. */
export class SlaPoliciesProjection implements Projection {
  readonly tables = ['sla_policies'] as const;

  async apply(db: ReadModelDatabase, event: RecordedEvent): Promise<void> {
    if (event.type !== 'SlaPolicyDefined') return;
    const data = event.data as SlaPolicyDefined['data'];
    await db
      .insertInto('sla_policies')
      .values({ key: data.key, version: data.version, doc: JSON.stringify(data) })
      .onConflict((oc) =>
        oc
          .column('key')
          .doUpdateSet({ version: (eb) => eb.ref('excluded.version'), doc: (eb) => eb.ref('excluded.doc') })
          .where('excluded.version', '>', (eb) => eb.ref('sla_policies.version')),
      )
      .execute();
  }
}
