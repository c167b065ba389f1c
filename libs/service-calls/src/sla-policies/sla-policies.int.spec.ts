import { DEFAULT_SLA_POLICY, foldServiceCall, ServiceCall, serviceCallStreamId, SLA_POLICY_KEYS_STREAM, slaPolicyStreamId, ValidationError } from '@app/domain';
import { SqliteEventStore } from '@app/event-store';
import { sqliteTestDir } from '../../../event-store/src/testing/sqlite-test-dir';
import { OpenServiceCallCommand } from '../commands/open-service-call.command';
import { OpenServiceCallHandler } from '../commands/open-service-call.handler';
import { ServiceCallCommandProcessor } from '../commands/service-call-command.processor';
import { seedBuiltInTemplates } from '../process-templates/built-in-templates.seeder';
import { ProcessTemplateCatalog } from '../process-templates/process-template.catalog';
import { seedDefaultSlaPolicy } from './default-sla-policy.seeder';
import { DefineSlaPolicyCommand } from './define-sla-policy.command';
import { DefineSlaPolicyHandler } from './define-sla-policy.handler';
import { SlaPolicyCatalog } from './sla-policy.catalog';

describe('SLA policies on a real SQLite event store', () => {
  const sqlite = sqliteTestDir('sla-policies-');
  let store: SqliteEventStore;
  let define: DefineSlaPolicyHandler;
  let catalog: SlaPolicyCatalog;
  const manager = { actor: 'apikey:boss' };

  beforeEach(async () => {
    store = sqlite.openEventStore();
    define = new DefineSlaPolicyHandler(store);
    catalog = new SlaPolicyCatalog(store);
  });

  it('seeds the built-in default once, and leaves a redefined default alone', async () => {
    expect(await seedDefaultSlaPolicy(store)).toBe(true);
    expect(await seedDefaultSlaPolicy(store)).toBe(false);
    expect(await catalog.all()).toEqual([DEFAULT_SLA_POLICY]);
    await define.execute(new DefineSlaPolicyCommand({ key: 'default', resolutionTarget: 'P3D' }, manager));
    expect(await seedDefaultSlaPolicy(store)).toBe(false);
    expect((await store.readStream(slaPolicyStreamId('default'))).map((e) => e.streamVersion)).toEqual([1, 2]);
    expect((await catalog.select({ category: 'x', priority: 'LOW' })).resolutionTarget).toBe('P3D');
  });

  it('a redefinition replaces the policy as the next version of its stream', async () => {
    const first = await define.execute(new DefineSlaPolicyCommand({ key: 'vip', priority: 'URGENT', resolutionTarget: 'P1D' }, manager));
    const second = await define.execute(new DefineSlaPolicyCommand({ key: 'vip', priority: 'URGENT', resolutionTarget: 'PT12H' }, manager));
    expect([first.version, second.version]).toEqual([1, 2]);
    expect(second.position).toBeGreaterThan(first.position);
    expect(await catalog.all()).toEqual([expect.objectContaining({ key: 'vip', resolutionTarget: 'PT12H' })]);
    // the key is registered once however often it is defined
    expect(await store.readStream(SLA_POLICY_KEYS_STREAM)).toHaveLength(1);
  });

  it('refuses an invalid policy with the field path and stores nothing', async () => {
    const bad = { key: 'x', resolutionTarget: 'P1D', businessHours: { timezone: 'Europe/Berlin', weekly: [{ day: 'MON', from: '9:00', to: '17:00' }] } };
    const error = await define.execute(new DefineSlaPolicyCommand(bad, manager)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe('businessHours.weekly[0].from');
    expect(await store.lastPosition()).toBe(0);
  });

  it('the catalog picks the most specific policy and sees definitions made through another catalog instance', async () => {
    await seedDefaultSlaPolicy(store);
    const other = new DefineSlaPolicyHandler(store);
    expect((await catalog.select({ category: 'Billing', priority: 'HIGH' })).key).toBe('default');
    await other.execute(new DefineSlaPolicyCommand({ key: 'billing', category: 'billing', resolutionTarget: 'P2D' }, manager));
    expect((await catalog.select({ category: ' BILLING ', priority: 'HIGH' })).key).toBe('billing');
    await other.execute(new DefineSlaPolicyCommand({ key: 'high', priority: 'HIGH', resolutionTarget: 'P1D' }, manager));
    expect((await catalog.select({ category: 'Billing', priority: 'HIGH' })).key).toBe('high');
    await other.execute(new DefineSlaPolicyCommand({ key: 'billing-high', category: 'Billing', priority: 'HIGH', resolutionTarget: 'PT8H' }, manager));
    expect((await catalog.select({ category: 'Billing', priority: 'HIGH' })).key).toBe('billing-high');
    expect((await catalog.select({ category: 'Other', priority: 'LOW' })).key).toBe('default');
  });

  it('concurrent definitions of different keys all land and are all found', async () => {
    await Promise.all(
      Array.from({ length: 8 }, (_, i) => define.execute(new DefineSlaPolicyCommand({ key: `p${i}`, category: `c${i}`, resolutionTarget: 'P1D' }, manager))),
    );
    expect((await catalog.all()).map((p) => p.key).sort()).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7']);
  });

  it('a call opens with a copy of the most specific policy, and keeps it when the policy is redefined', async () => {
    await seedBuiltInTemplates(store);
    await seedDefaultSlaPolicy(store);
    const open = new OpenServiceCallHandler(new ServiceCallCommandProcessor(store), new ProcessTemplateCatalog(store), catalog);
    const input = (category: string, priority: 'LOW' | 'HIGH') => ({
      channel: 'PHONE' as const,
      category,
      priority,
      summary: 'Charged twice',
      customer: { name: 'Ada', email: 'ada@example.com' },
    });
    const callOf = async (id: string) => foldServiceCall(await store.readStream(serviceCallStreamId(id))) as ServiceCall;

    await define.execute(new DefineSlaPolicyCommand({ key: 'billing', category: 'Billing', firstResponseTarget: 'PT1H', resolutionTarget: 'P2D' }, manager));
    const billing = await open.execute(new OpenServiceCallCommand(input('billing', 'HIGH'), manager));
    const other = await open.execute(new OpenServiceCallCommand(input('Shipping', 'LOW'), manager));
    const first = (await store.readStream(serviceCallStreamId(billing.call.id)))[0];
    expect(first.data.sla).toEqual({ policy: expect.objectContaining({ key: 'billing', resolutionTarget: 'P2D' }) as unknown });
    expect((await callOf(other.call.id)).slaPolicy).toEqual(DEFAULT_SLA_POLICY);

    await define.execute(new DefineSlaPolicyCommand({ key: 'billing', category: 'Billing', resolutionTarget: 'P9D' }, manager));
    expect((await callOf(billing.call.id)).slaPolicy?.resolutionTarget).toBe('P2D');
    const next = await open.execute(new OpenServiceCallCommand(input('BILLING', 'LOW'), manager));
    expect((await callOf(next.call.id)).slaPolicy?.resolutionTarget).toBe('P9D');
  });
});
