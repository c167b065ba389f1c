import { ProcessTemplateInput, STANDARD_COMPLAINT } from '@app/domain';
import { SqliteEventStore } from '@app/event-store';
import {
  DefineProcessTemplateCommand,
  DefineProcessTemplateHandler,
  seedBuiltInTemplates,
  SetCategoryProcessCommand,
  SetCategoryProcessHandler,
} from '@app/service-calls';
import { sqliteTestDir } from '../../../event-store/src/testing/sqlite-test-dir';
import { Projector } from '../projector';
import { applyToProjections } from '../projections';
import { ReadModelDatabase } from '../read-model.database';
import { rebuildReadModels } from '../rebuild-read-models';
import { readModelTargets } from '../testing/read-model-targets';
import { ProcessTemplatesProjection } from './process-templates.projection';
import { ProcessTemplatesStore } from './process-templates.store';

const template = (key: string, title: string): ProcessTemplateInput => ({
  key,
  title,
  department: 'Field Service',
  purpose: 'Repair things.',
  phases: [{ key: 'work', name: 'Work', steps: [{ key: `${key}-do`, name: 'Do it' }] }],
});

describe.each(readModelTargets())('process templates read model ($dialect)', (target) => {
  const sqlite = sqliteTestDir('template-read-model-');
  let events: SqliteEventStore;
  let db: ReadModelDatabase;
  let templates: ProcessTemplatesStore;
  const manager = { actor: 'apikey:boss' };

  beforeEach(async () => {
    events = sqlite.openEventStore();
    db = await target.open();
    sqlite.atTeardown(() => target.close(db));
    templates = new ProcessTemplatesStore(db);
  });

  const define = (input: ProcessTemplateInput, now = new Date()) =>
    new DefineProcessTemplateHandler(events).execute(new DefineProcessTemplateCommand(input, { ...manager, now }));
  const setCategory = (category: string, processKey: string, now = new Date()) =>
    new SetCategoryProcessHandler(events).execute(new SetCategoryProcessCommand(category, processKey, { ...manager, now }));

  /** standard-complaint v1, device-repair v1..v3, billing v1, and two categories, one mapped twice */
  async function history(): Promise<number> {
    await seedBuiltInTemplates(events, new Date('2026-01-01T00:00:00Z'));
    await define(template('device-repair', 'Repair v1'), new Date('2026-01-02T00:00:00Z'));
    await define(template('billing', 'Billing v1'), new Date('2026-01-03T00:00:00Z'));
    await define(template('device-repair', 'Repair v2'), new Date('2026-01-04T00:00:00Z'));
    await setCategory('Repairs', 'device-repair', new Date('2026-01-05T00:00:00Z'));
    await setCategory('invoices', 'device-repair', new Date('2026-01-06T00:00:00Z'));
    await setCategory('INVOICES', 'billing', new Date('2026-01-07T00:00:00Z'));
    const last = await define(template('device-repair', 'Repair v3'), new Date('2026-01-08T00:00:00Z'));
    return last.position;
  }

  it('answers latest, byVersion, allLatest, versions and categoryMappings', async () => {
    const projector = new Projector(db, events);
    await projector.start((e) => {
      throw e;
    });
    expect(await projector.waitFor(await history(), 2000)).toBe(true);
    await projector.stop();

    expect(await templates.latest('device-repair')).toMatchObject({ key: 'device-repair', version: 3, title: 'Repair v3', definedBy: 'apikey:boss', createdAt: '2026-01-08T00:00:00.000Z' });
    expect(await templates.byVersion('device-repair', 1)).toMatchObject({ version: 1, title: 'Repair v1', phases: [{ key: 'work', steps: [{ key: 'device-repair-do', dependsOn: [], automated: false }] }] });
    expect(await templates.byVersion('device-repair', 4)).toBeUndefined();
    expect(await templates.latest('nope')).toBeUndefined();
    expect((await templates.allLatest()).map((t) => [t.key, t.version])).toEqual([
      ['billing', 1],
      ['device-repair', 3],
      ['standard-complaint', 1],
    ]);
    const { version: _v, ...builtIn } = STANDARD_COMPLAINT;
    expect(await templates.latest('standard-complaint')).toEqual({ ...builtIn, version: 1, definedBy: 'system', createdAt: '2026-01-01T00:00:00.000Z' });
    expect((await templates.versions('device-repair')).map((t) => t.title)).toEqual(['Repair v1', 'Repair v2', 'Repair v3']);
    expect(await templates.versions('nope')).toEqual([]);
    expect(await templates.categoryMappings()).toEqual([
      { category: 'invoices', processKey: 'billing', updatedAt: '2026-01-07T00:00:00.000Z' },
      { category: 'repairs', processKey: 'device-repair', updatedAt: '2026-01-05T00:00:00.000Z' },
    ]);
    // the columns the phase board reads
    expect(await db.selectFrom('process_templates').select(['key', 'version', 'title', 'created_at']).where('key', '=', 'device-repair').orderBy('version', 'desc').limit(1).executeTakeFirst()).toEqual({
      key: 'device-repair',
      version: 3,
      title: 'Repair v3',
      created_at: '2026-01-08T00:00:00.000Z',
    });
  });

  const rows = async () => [
    await db.selectFrom('process_templates').selectAll().orderBy('key').orderBy('version').execute(),
    await db.selectFrom('category_processes').selectAll().orderBy('category').execute(),
  ];

  it('redelivered events change nothing', async () => {
    await history();
    const projection = [new ProcessTemplatesProjection()];
    const all = await events.readAll(0, 1000);
    const apply = (batch: typeof all) =>
      db.transaction().execute(async (trx) => {
        for (const e of batch) await applyToProjections(trx, projection, e);
      });
    await apply(all);
    const once = await rows();
    await apply(all);
    expect(await rows()).toEqual(once);
    // a redelivery after a crash starts somewhere in the middle and runs to the end again
    await apply(all.slice(3));
    expect(await rows()).toEqual(once);
    expect(await templates.versions('device-repair')).toHaveLength(3);
  });

  it('a rebuild from the log gives the same rows as live projection', async () => {
    const projector = new Projector(db, events);
    await projector.start(() => undefined);
    expect(await projector.waitFor(await history(), 2000)).toBe(true);
    await projector.stop();
    const live = await rows();
    expect(live[0]).toHaveLength(5);
    await rebuildReadModels(db, events, () => undefined);
    expect(await rows()).toEqual(live);
  });
});
