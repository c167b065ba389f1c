import { DEFAULT_SLA_POLICY } from '@app/domain';
import { SqliteEventStore } from '@app/event-store';
import { DefineSlaPolicyCommand, DefineSlaPolicyHandler, seedDefaultSlaPolicy } from '@app/service-calls';
import { sqliteTestDir } from '../../../event-store/src/testing/sqlite-test-dir';
import { Projector } from '../projector';
import { openReadModelDatabase, ReadModelDatabase } from '../read-model.database';
import { SlaPoliciesProjection } from './sla-policies.projection';
import { SlaPoliciesStore } from './sla-policies.store';

describe('SLA policies read model on real SQLite files', () => {
  const sqlite = sqliteTestDir('sla-read-model-');
  let events: SqliteEventStore;
  let db: ReadModelDatabase;

  beforeEach(() => {
    events = sqlite.openEventStore();
    db = openReadModelDatabase(sqlite.file('read-models.sqlite'));
    sqlite.atTeardown(() => db.close());
  });

  it('keeps the newest definition per key, and a redelivered older one changes nothing', async () => {
    await seedDefaultSlaPolicy(events);
    const define = new DefineSlaPolicyHandler(events);
    const manager = { actor: 'apikey:boss' };
    await define.execute(new DefineSlaPolicyCommand({ key: 'vip', priority: 'URGENT', resolutionTarget: 'P1D' }, manager));
    const last = await define.execute(new DefineSlaPolicyCommand({ key: 'vip', priority: 'URGENT', resolutionTarget: 'PT6H', warnAt: 0.5 }, manager));

    const projector = new Projector(db, events);
    projector.start((e) => {
      throw e;
    });
    expect(await projector.waitFor(last.position, 2000)).toBe(true);
    await projector.stop();

    const store = new SlaPoliciesStore(db);
    expect(store.latest()).toEqual([
      expect.objectContaining({ ...DEFAULT_SLA_POLICY, version: 1, definedBy: 'system' }),
      expect.objectContaining({ key: 'vip', priority: 'URGENT', resolutionTarget: 'PT6H', warnAt: 0.5, version: 2, definedBy: 'apikey:boss' }),
    ]);

    // a redelivery of version 1 of `vip` does not bring the old targets back
    const first = (await events.readStream('SlaPolicy-vip'))[0];
    new SlaPoliciesProjection(db).apply(first);
    expect(store.latest()[1]).toEqual(expect.objectContaining({ resolutionTarget: 'PT6H', version: 2 }));
  });
});
