import {
  categoryProcessStreamId,
  ConflictError,
  foldServiceCall,
  ProcessTemplateInput,
  processTemplateStreamId,
  serviceCallStreamId,
  STANDARD_COMPLAINT,
  ValidationError,
} from '@app/domain';
import { SqliteEventStore } from '@app/event-store';
import { sqliteTestDir } from '../../../event-store/src/testing/sqlite-test-dir';
import { OpenServiceCallCommand } from '../commands/open-service-call.command';
import { OpenServiceCallHandler } from '../commands/open-service-call.handler';
import { ServiceCallCommandProcessor } from '../commands/service-call-command.processor';
import { seedBuiltInTemplates } from './built-in-templates.seeder';
import { DefineProcessTemplateCommand, DefineProcessTemplateOptions } from './define-process-template.command';
import { DefineProcessTemplateHandler } from './define-process-template.handler';
import { ProcessTemplateCatalog } from './process-template.catalog';
import { SetCategoryProcessCommand } from './set-category-process.command';
import { SetCategoryProcessHandler } from './set-category-process.handler';
import { SlaPolicyCatalog } from '../sla-policies/sla-policy.catalog';

/** A template whose phases say which version they came from. */
function repair(version: string): ProcessTemplateInput {
  return {
    key: 'device-repair',
    title: `Device repair (${version})`,
    department: 'Field Service',
    purpose: 'Repair a faulty device.',
    phases: [
      {
        key: `visit-${version}`,
        name: 'Visit',
        steps: [
          { key: 'schedule', name: 'Schedule' },
          { key: 'fix', name: 'Fix', dependsOn: ['schedule'] },
        ],
      },
    ],
  };
}

describe('process templates on a real SQLite event store', () => {
  const sqlite = sqliteTestDir('templates-');
  let store: SqliteEventStore;
  let define: DefineProcessTemplateHandler;
  let setCategory: SetCategoryProcessHandler;
  let catalog: ProcessTemplateCatalog;
  let open: OpenServiceCallHandler;
  const manager = { actor: 'apikey:boss' };

  beforeEach(async () => {
    store = sqlite.openEventStore();
    await seedBuiltInTemplates(store);
    define = new DefineProcessTemplateHandler(store);
    setCategory = new SetCategoryProcessHandler(store);
    catalog = new ProcessTemplateCatalog(store);
    open = new OpenServiceCallHandler(new ServiceCallCommandProcessor(store), catalog, new SlaPolicyCatalog(store));
  });

  const defineTemplate = (input: ProcessTemplateInput, options: Partial<DefineProcessTemplateOptions> = {}) =>
    define.execute(new DefineProcessTemplateCommand(input, { ...manager, ...options }));
  const versionsOf = async (key: string) => (await store.readStream(processTemplateStreamId(key))).map((e) => e.data.version);
  const openCall = (category: string, processKey?: string) =>
    open.execute(new OpenServiceCallCommand({ channel: 'PHONE', category, summary: 'Broken', customer: { name: 'Ada' }, processKey }, { actor: 'apikey:crm' }));

  describe('built-in templates', () => {
    it('standard-complaint is version 1 of an ordinary template stream, defined by the system', async () => {
      const events = await store.readStream(processTemplateStreamId('standard-complaint'));
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ type: 'ProcessTemplateDefined', streamVersion: 1, metadata: { actor: 'system' } });
      const { version: _v, ...definition } = STANDARD_COMPLAINT;
      expect(await catalog.latest('standard-complaint')).toEqual({ ...definition, version: 1, definedBy: 'system', createdAt: events[0].data.at });
    });

    it('seeding again, or from two processes at once, appends nothing more', async () => {
      const worker = new SqliteEventStore({ path: sqlite.file('events.sqlite') });
      const again = await Promise.all([seedBuiltInTemplates(store), seedBuiltInTemplates(worker), seedBuiltInTemplates(store)]);
      await worker.close();
      expect(again).toEqual([0, 0, 0]);
      expect(await versionsOf('standard-complaint')).toEqual([1]);
    });

    it('two processes starting on an empty store seed it exactly once', async () => {
      const fresh = sqlite.file('fresh.sqlite');
      const [api, worker] = [new SqliteEventStore({ path: fresh }), new SqliteEventStore({ path: fresh })];
      const seeded = await Promise.all([seedBuiltInTemplates(api), seedBuiltInTemplates(worker)]);
      expect(seeded.sort()).toEqual([0, 1]);
      expect(await api.readStream(processTemplateStreamId('standard-complaint'))).toHaveLength(1);
      await Promise.all([api.close(), worker.close()]);
    });

    it('a manager redefining standard-complaint makes version 2, which new calls run', async () => {
      await defineTemplate({ ...STANDARD_COMPLAINT, title: 'Complaint, revised' });
      expect(await versionsOf('standard-complaint')).toEqual([1, 2]);
      expect((await openCall('billing')).call).toMatchObject({ processKey: 'standard-complaint', processVersion: 2 });
    });
  });

  describe('defineProcessTemplate', () => {
    it('a new key is version 1, the same key again the next version; the catalog serves the latest', async () => {
      const first = await defineTemplate(repair('v1'));
      const second = await defineTemplate(repair('v2'));
      expect(first.template).toMatchObject({ key: 'device-repair', version: 1, title: 'Device repair (v1)', definedBy: 'apikey:boss' });
      expect(second.template).toMatchObject({ version: 2, title: 'Device repair (v2)' });
      expect(second.position).toBe(await store.lastPosition());
      expect(await versionsOf('device-repair')).toEqual([1, 2]);
      expect((await store.readStream(processTemplateStreamId('device-repair'))).map((e) => e.streamVersion)).toEqual([1, 2]);
      expect(await catalog.latest('device-repair')).toEqual(second.template);
    });

    it('stores the normalised template', async () => {
      const { template } = await defineTemplate({ ...repair('v1'), key: ' device-repair ', title: ' Device repair ' });
      expect(template).toMatchObject({ key: 'device-repair', title: 'Device repair', terms: [] });
      expect(template.phases[0].steps[0]).toEqual({ key: 'schedule', name: 'Schedule', dependsOn: [], automated: false });
    });

    it('an invalid template is refused and nothing is appended', async () => {
      await defineTemplate(repair('v1'));
      const before = await store.lastPosition();
      const cyclic = repair('v2');
      cyclic.phases[0].steps[0].dependsOn = ['fix'];
      const error = await defineTemplate(cyclic).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect(error).toMatchObject({ field: 'phases[0].steps[0].dependsOn', message: expect.stringContaining('schedule -> fix -> schedule') as unknown });
      expect(await store.lastPosition()).toBe(before);
      expect(await versionsOf('device-repair')).toEqual([1]);
    });

    it('concurrent definitions of one key all land as consecutive versions, never two with the same number', async () => {
      const [a, b] = await Promise.all([defineTemplate(repair('a')), defineTemplate(repair('b'))]);
      expect([a.template.version, b.template.version].sort()).toEqual([1, 2]);
      const results = await Promise.all(['c', 'd', 'e', 'f', 'g'].map((v) => defineTemplate(repair(v))));
      expect(results.map((r) => r.template.version).sort()).toEqual([3, 4, 5, 6, 7]);
      expect(await versionsOf('device-repair')).toEqual([1, 2, 3, 4, 5, 6, 7]);
    });

    it('concurrent definitions from two processes (two connections to one file) get distinct versions', async () => {
      const other = new DefineProcessTemplateHandler(new SqliteEventStore({ path: sqlite.file('events.sqlite') }));
      const results = await Promise.all([
        defineTemplate(repair('a')),
        other.execute(new DefineProcessTemplateCommand(repair('b'), manager)),
        defineTemplate(repair('c')),
        other.execute(new DefineProcessTemplateCommand(repair('d'), manager)),
      ]);
      expect(results.map((r) => r.template.version).sort()).toEqual([1, 2, 3, 4]);
      expect(await versionsOf('device-repair')).toEqual([1, 2, 3, 4]);
    });

    it('the same idempotency key again returns the earlier version and appends nothing, even after newer versions', async () => {
      const first = await defineTemplate(repair('v1'), { idempotencyKey: 'k1' });
      const again = await defineTemplate(repair('v1'), { idempotencyKey: 'k1' });
      expect(again).toEqual(first);
      await defineTemplate(repair('v2'));
      const later = await defineTemplate(repair('changed'), { idempotencyKey: 'k1' });
      expect(later.template).toEqual(first.template);
      expect(await versionsOf('device-repair')).toEqual([1, 2]);
    });

    it('concurrent retries with one idempotency key land once', async () => {
      const results = await Promise.all(Array.from({ length: 4 }, () => defineTemplate(repair('v1'), { idempotencyKey: 'k' })));
      expect(new Set(results.map((r) => r.template.version))).toEqual(new Set([1]));
      expect(await versionsOf('device-repair')).toEqual([1]);
    });

    it('the same idempotency key from another manager is another definition', async () => {
      await defineTemplate(repair('v1'), { idempotencyKey: 'k1' });
      const other = await defineTemplate(repair('v2'), { idempotencyKey: 'k1', actor: 'apikey:other-boss' });
      expect(other.template.version).toBe(2);
    });

    it('expectedVersion: 0 creates only a new key; a stale version is a CONFLICT with the current version; nothing appended', async () => {
      expect((await defineTemplate(repair('v1'), { expectedVersion: 0 })).template.version).toBe(1);
      expect((await defineTemplate(repair('v2'), { expectedVersion: 1 })).template.version).toBe(2);
      const before = await store.lastPosition();
      for (const expectedVersion of [0, 1, 3]) {
        const error = await defineTemplate(repair('stale'), { expectedVersion }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ConflictError);
        expect(error).toMatchObject({ currentVersion: 2, field: 'expectedVersion' });
      }
      await expect(defineTemplate(repair('x'), { expectedVersion: -1 })).rejects.toMatchObject({ field: 'expectedVersion' });
      expect(await store.lastPosition()).toBe(before);
    });

    it('with expectedVersion, losing a race is a CONFLICT rather than a retry', async () => {
      await defineTemplate(repair('v1'));
      const outcomes = await Promise.allSettled([defineTemplate(repair('a'), { expectedVersion: 1 }), defineTemplate(repair('b'), { expectedVersion: 1 })]);
      expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
      const lost = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
      expect(lost.reason).toMatchObject({ code: 'CONFLICT', currentVersion: 2 });
      expect(await versionsOf('device-repair')).toEqual([1, 2]);
    });
  });

  describe('setCategoryProcess and which template a call runs', () => {
    const set = (category: string, processKey: string) => setCategory.execute(new SetCategoryProcessCommand(category, processKey, manager));

    it('without a mapping or a key, a call runs standard-complaint', async () => {
      expect((await openCall('billing')).call).toMatchObject({ processKey: 'standard-complaint', processVersion: 1 });
    });

    it("a mapped category runs the mapped template's latest version, whatever the category's case; an explicit key wins", async () => {
      await defineTemplate(repair('v1'));
      expect(await set(' Repairs ', 'device-repair')).toMatchObject({ changed: true });
      expect((await openCall('repairs')).call).toMatchObject({ processKey: 'device-repair', processVersion: 1 });
      await defineTemplate(repair('v2'));
      expect((await openCall('REPAIRS ')).call).toMatchObject({ processKey: 'device-repair', processVersion: 2 });
      expect((await openCall('repairs', 'standard-complaint')).call.processKey).toBe('standard-complaint');
      expect((await openCall('billing')).call.processKey).toBe('standard-complaint');
    });

    it('a later mapping replaces the earlier one; setting the same mapping again appends nothing', async () => {
      await defineTemplate(repair('v1'));
      await set('repairs', 'device-repair');
      const before = await store.lastPosition();
      expect(await set('Repairs', 'device-repair')).toEqual({ changed: false, position: before });
      expect(await store.lastPosition()).toBe(before);
      await set('repairs', 'standard-complaint');
      expect(await catalog.mappedProcessKey('repairs')).toBe('standard-complaint');
      expect((await store.readStream(categoryProcessStreamId('repairs'))).map((e) => e.data)).toEqual([
        expect.objectContaining({ category: 'repairs', processKey: 'device-repair', by: 'apikey:boss' }),
        expect.objectContaining({ category: 'repairs', processKey: 'standard-complaint' }),
      ]);
    });

    it('refuses an unknown template, a blank category or key, and appends nothing', async () => {
      const before = await store.lastPosition();
      await expect(set('repairs', 'no-such-template')).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'processKey', message: expect.stringContaining('unknown process template') as unknown });
      await expect(set('  ', 'standard-complaint')).rejects.toMatchObject({ field: 'category' });
      await expect(set('repairs', ' ')).rejects.toMatchObject({ field: 'processKey' });
      expect(await store.lastPosition()).toBe(before);
    });

    it('an unknown or blank explicit key refuses the call with processKey', async () => {
      await expect(openCall('billing', 'no-such-template')).rejects.toMatchObject({ field: 'processKey' });
      await expect(openCall('billing', '  ')).rejects.toMatchObject({ field: 'processKey' });
      // a store where nothing was seeded has no default either
      const empty = new SqliteEventStore({ path: sqlite.file('empty.sqlite') });
      await expect(new ProcessTemplateCatalog(empty).resolve(undefined, 'billing')).rejects.toMatchObject({ field: 'processKey' });
      await empty.close();
    });
  });

  describe('a running call keeps its version', () => {
    it('a template defined after a call opened does not change that call; the next call runs the new version', async () => {
      await defineTemplate(repair('v1'));
      const first = await openCall('repairs', 'device-repair');
      await defineTemplate(repair('v2'));
      const second = await openCall('repairs', 'device-repair');

      const [opened] = await store.readStream(serviceCallStreamId(first.call.id));
      expect(opened.type).toBe('ServiceCallOpened');
      expect(opened.data.process).toMatchObject({ key: 'device-repair', version: 1, phases: [expect.objectContaining({ key: 'visit-v1' })] });
      const replayed = foldServiceCall(await store.readStream(serviceCallStreamId(first.call.id)));
      expect(replayed).toMatchObject({ processVersion: 1, phases: [expect.objectContaining({ key: 'visit-v1' })] });
      expect(second.call).toMatchObject({ processVersion: 2, phases: [expect.objectContaining({ key: 'visit-v2' })] });
    });
  });
});
