/**
 * The product on the PostgreSQL event store (EVENTSTORE_CONNECTION_STRING=postgres://…, a database of
 * the test server made for this file), read models still SQLite in DATA_DIR: a standard-complaint
 * call from open to RESOLVED over GraphQL (steps worked, phases advanced by the workflow, history read
 * back, every event in PostgreSQL), then a restart on the same event store after which the call and
 * its history read the same and new changes work. Twice:
 * - as `npm start` runs it (the Stack: embedded Temporal dev server, API and worker);
 * - as the deployed shape runs it: a Temporal dev server of its own and the API and the worker as
 *   separate processes from `npm run start:api` and `npm run start:worker`.
 */
import { spawnSync } from 'node:child_process';
import { Client } from 'pg';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { temporalCliExecutable } from '../tools/temporal-servers';
import { DEV_KEYS, GraphQLClient, waitFor } from '../support/graphql-client';
import { createTestDatabase, describeWithPostgres, TestDatabase } from '../support/postgres';
import { LogSource, Replica, TemporalDevServer, withProcessLogs } from '../support/replicas';
import {
  ALL_STEPS,
  CallView,
  callInput,
  completeStep,
  countEvents,
  dataOf,
  getCall,
  openCall,
  readyHumanSteps,
  STANDARD_COMPLAINT,
  startStep,
  stepOf,
  stepsOf,
  waitForWork,
} from '../support/service-calls';
import { pickPorts, Stack } from '../support/stack';

jest.setTimeout(180_000);

/** the development keys, given explicitly: a product with EVENTSTORE_CONNECTION_STRING requires API_KEYS */
const API_KEYS = 'dev-integrator-key:INTEGRATOR:dev-integrator,dev-manager-key:MANAGER:dev-manager,dev-agent-key:AGENT:dev-agent';
const PARALLEL = ['carry-out-solution', 'offer-compensation'];
const ADD_NOTE = `mutation Note($callId: ID!, $kind: NoteKind!, $text: String!) { addNote(callId: $callId, kind: $kind, text: $text) { id version } }`;

/** How a case runs the product: where it answers, how it is stopped and started again. */
interface Product {
  graphqlUrl: string;
  baseUrl: string;
  dataDir: string;
  restart(): Promise<void>;
  /** SIGKILL of every process of the product (not Temporal when it runs on its own), then started again */
  crash?(): Promise<void>;
  processes(): (LogSource | undefined)[];
}

describeWithPostgres('the product on the PostgreSQL event store (e2e)', () => {
  describe('as npm start runs it (embedded Temporal dev server, API and worker)', () => {
    let db: TestDatabase;
    let stack: Stack | undefined;
    scenario(
      async () => {
        db = await createTestDatabase('e2e_pg_store_stack');
        stack = await Stack.start({ name: 'postgres-event-store', env: { EVENTSTORE_CONNECTION_STRING: db.url, API_KEYS } });
        return {
          graphqlUrl: stack.graphqlUrl,
          baseUrl: stack.baseUrl,
          dataDir: stack.dataDir,
          restart: async () => {
            await stack!.stop();
            await stack!.restart();
          },
          processes: () => [stack],
        };
      },
      async () => {
        await stack?.dispose();
        await db?.drop();
      },
      () => db.url,
      'stopped and started',
    );
  });

  describe('as separate processes: npm run start:api and start:worker against a Temporal dev server of their own', () => {
    let db: TestDatabase;
    let temporal: TemporalDevServer | undefined;
    let api: Replica | undefined;
    let worker: Replica | undefined;
    let dataDir: string | undefined;
    scenario(
      async () => {
        db = await createTestDatabase('e2e_pg_store_replicas');
        const ports = await pickPorts();
        temporal = await TemporalDevServer.start(ports.temporal, temporalCliExecutable().path);
        dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-e2e-postgres-replicas-'));
        const env = { TEMPORAL_ADDRESS: temporal.address, DATA_DIR: dataDir, EVENTSTORE_CONNECTION_STRING: db.url, API_KEYS };
        // started together, as an operator would: only one of them builds dist/ (the script's build lock)
        [api, worker] = await Promise.all([
          Replica.start({ role: 'api', name: 'api', env: { ...env, PORT: String(ports.api) } }),
          Replica.start({ role: 'worker', name: 'worker', env }),
        ]);
        return {
          graphqlUrl: api.graphqlUrl,
          baseUrl: api.baseUrl,
          dataDir,
          restart: async () => {
            await Promise.all([api!.stop(), worker!.stop()]);
            // while it is stopped, the operator recreates the read models from the PostgreSQL log
            const rebuild = spawnSync(process.execPath, [path.join(__dirname, '..', '..', 'scripts', 'rebuild-read-models.mjs')], {
              env: { ...process.env, ...env },
              encoding: 'utf8',
              timeout: 120_000,
            });
            expect([rebuild.status, rebuild.stderr]).toEqual([0, '']);
            expect(rebuild.stdout).toMatch(/rebuilt read models from \d+ events in [\d.]+ s: 2 calls/);
            await Promise.all([api!.restart(), worker!.restart()]);
          },
          crash: async () => {
            await Promise.all([api!.kill(), worker!.kill()]);
            await Promise.all([api!.restart(), worker!.restart()]);
          },
          processes: () => [api, worker, temporal],
        };
      },
      async () => {
        await Promise.all([api?.stop(), worker?.stop()]);
        await temporal?.dispose();
        if (dataDir && !process.env.KEEP_E2E_DATA) fs.rmSync(dataDir, { recursive: true, force: true });
        await db?.drop();
      },
      () => db.url,
      'stopped, its read models rebuilt from the event log (npm run rebuild-read-models), started',
      true,
    );
  });
});

/** The tests of one case; `start` runs in beforeAll, `dispose` in afterAll; `restart` says what Product.restart() does. */
function scenario(start: () => Promise<Product>, dispose: () => Promise<void>, databaseUrl: () => string, restart: string, crashes = false): void {
  let product: Product | undefined;
  let client: GraphQLClient;
  /** the call driven to RESOLVED, as read right after (with its history) */
  let resolved: CallView | undefined;
  const e2e = (body: () => Promise<void>) => withProcessLogs(() => product?.processes() ?? [], body);

  beforeAll(async () => {
    product = await start();
    client = new GraphQLClient(product.graphqlUrl, DEV_KEYS.INTEGRATOR);
  }, 300_000);

  afterAll(dispose, 90_000);

  it(
    'answers /health with every check ok and keeps no SQLite event store',
    e2e(async () => {
      const response = await fetch(`${product!.baseUrl}/health`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ status: 'ok', checks: { eventStore: 'ok', readModels: 'ok', temporal: 'ok' }, replica: 'api' });
      expect(fs.existsSync(path.join(product!.dataDir, 'events.sqlite'))).toBe(false);
    }),
  );

  it(
    'drives a standard-complaint call from open to RESOLVED; every event of it is in PostgreSQL',
    e2e(async () => {
      const earlier = await openCall(client);
      const opened = await openCall(client, callInput({ priority: 'HIGH', customer: earlier.customer }));
      expect(opened).toMatchObject({ version: 1, status: 'OPEN', processKey: 'standard-complaint' });
      resolved = await driveToResolved(client, opened.id);
      assertCompleteHistory(resolved);
      expect(stepOf(resolved, 'review-customer-history').outcome).toMatch(/^1 earlier call\b/);

      const stored = await storedEvents(databaseUrl(), `ServiceCall-${opened.id}`);
      expect(stored.map((e) => [e.version, e.type])).toEqual(resolved.history!.map((e) => [e.version, e.type]));
      expect(stored.every((e, i) => i === 0 || e.position > stored[i - 1].position)).toBe(true);
    }),
  );

  it(
    `${restart} on the same event store: the call and its history read the same, and new changes work`,
    e2e(async () => {
      expect(resolved).toBeDefined();
      const before = await getCall(client, resolved!.id, true);
      await product!.restart();

      const after = await getCall(client, resolved!.id, true);
      expect(after).toEqual(before);
      // a change on the resolved call (a note), answered with its new version and read back
      const noted = await client.ok<{ addNote: { id: string; version: number } }>(ADD_NOTE, { callId: before.id, kind: 'INTERNAL', text: 'Checked after the restart.' });
      expect(noted.addNote.version).toBe(before.version + 1);
      const reread = await getCall(client, before.id, true);
      expect(reread.version).toBe(before.version + 1);
      expect(reread.history!.slice(0, before.history!.length)).toEqual(before.history);
      expect(reread.history![before.history!.length].type).toBe('NoteAdded');

      // a new call runs its process on the restarted product: the workflow makes its steps READY
      const fresh = await openCall(client);
      const ready = await waitForWork(client, fresh.id, 60_000);
      const started = await startStep(client, fresh.id, 'record-complaint', { expectedVersion: ready.version });
      expect(started.version).toBe(ready.version + 1);
      await completeStep(client, fresh.id, 'record-complaint');
      await waitFor(async () => stepOf(await getCall(client, fresh.id), 'confirm-understanding').status === 'READY', 60_000, {
        description: 'confirm-understanding READY after the restart',
      });
      expect((await storedEvents(databaseUrl(), `ServiceCall-${fresh.id}`)).length).toBe((await getCall(client, fresh.id)).version);
    }),
  );

  if (crashes) crashTest(e2e, () => product, () => client, databaseUrl);
}

/** A call in its first step, the product SIGKILLed and started again: the acknowledged change is kept and the process goes on, nothing doubled. */
function crashTest(e2e: (body: () => Promise<void>) => () => Promise<void>, product: () => Product | undefined, client: () => GraphQLClient, databaseUrl: () => string): void {
  it(
    'after kill -9 of the API and the worker mid-call, the acknowledged change is kept and the call goes on, nothing doubled',
    e2e(async () => {
      const c = client();
      const call = await openCall(c);
      const ready = await waitForWork(c, call.id, 60_000);
      const started = await startStep(c, call.id, 'record-complaint', { expectedVersion: ready.version });
      await product()!.crash!();
      const after = await getCall(c, call.id, true);
      expect(after.version).toBeGreaterThanOrEqual(started.version);
      expect(stepOf(after, 'record-complaint').status).toBe('IN_PROGRESS');
      await completeStep(c, call.id, 'record-complaint');
      const next = await waitFor(async () => {
        const read = await getCall(c, call.id, true);
        return stepOf(read, 'confirm-understanding').status === 'READY' ? read : undefined;
      }, 60_000, { description: 'confirm-understanding READY after the crash' });
      const counts = countEvents(next.history!);
      for (const key of ['ServiceCallOpened', 'PhaseStarted:intake', 'StepReady:record-complaint', 'StepStarted:record-complaint', 'StepCompleted:record-complaint', 'StepReady:confirm-understanding']) {
        expect([key, counts.get(key)]).toEqual([key, 1]);
      }
      const stored = await storedEvents(databaseUrl(), `ServiceCall-${call.id}`);
      expect(stored.slice(0, next.version).map((e) => e.version)).toEqual(next.history!.map((e) => e.version));
    }),
  );
}

/** Works every human step as it becomes READY until the call is RESOLVED; returns it with its history. */
async function driveToResolved(client: GraphQLClient, id: string): Promise<CallView> {
  let sawParallelReady = false;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (Date.now() > deadline) throw new Error(`call ${id} did not resolve in time: ${JSON.stringify(await getCall(client, id))}`);
    const call = await getCall(client, id);
    if (call.status === 'RESOLVED') break;
    if (PARALLEL.every((key) => stepOf(call, key).status === 'READY')) sawParallelReady = true;
    // the two parallel steps are made READY together; wait until the read model shows both
    const work = readyHumanSteps(call).filter((s) => !PARALLEL.includes(s.key) || sawParallelReady);
    if (work.length === 0) {
      await sleep(25);
      continue;
    }
    for (const step of work) {
      if (step.status === 'READY') {
        const started = await startStep(client, id, step.key);
        expect(stepOf(started, step.key).status).toBe('IN_PROGRESS');
        expect(stepOf(await getCall(client, id), step.key).status).toBe('IN_PROGRESS'); // read-your-writes
      }
      const completed = await completeStep(client, id, step.key, { outcome: `done: ${step.key}` });
      expect(stepOf(completed, step.key)).toMatchObject({ status: 'COMPLETED', outcome: `done: ${step.key}` });
      expect((await getCall(client, id)).version).toBeGreaterThanOrEqual(completed.version); // read-your-writes
    }
  }
  expect(sawParallelReady).toBe(true);
  // after the resolution the workflow records that the resolution target was met; then the call is quiet
  return waitFor(
    async () => {
      const call = await getCall(client, id, true);
      return call.history!.some((e) => e.type === 'SlaMet' && dataOf(e).target === 'RESOLUTION') ? call : undefined;
    },
    30_000,
    { description: `SlaMet (RESOLUTION) of call ${id}`, intervalMs: 100 },
  );
}

/** Every change of a RESOLVED standard-complaint call, in order, each exactly once. */
function assertCompleteHistory(call: CallView): void {
  expect(call).toMatchObject({ status: 'RESOLVED', progress: 1 });
  for (const step of stepsOf(call)) expect([step.key, step.status]).toEqual([step.key, 'COMPLETED']);
  const history = call.history!;
  expect(history.map((e) => e.version)).toEqual(Array.from({ length: call.version }, (_, i) => i + 1));
  expect(history[0].type).toBe('ServiceCallOpened');
  const counts = countEvents(history);
  expect(counts.get('ServiceCallResolved')).toBe(1);
  for (const phase of STANDARD_COMPLAINT.phases) expect([phase, counts.get(`PhaseStarted:${phase}`), counts.get(`PhaseCompleted:${phase}`)]).toEqual([phase, 1, 1]);
  for (const step of ALL_STEPS) {
    expect([step, counts.get(`StepReady:${step}`), counts.get(`StepStarted:${step}`), counts.get(`StepCompleted:${step}`)]).toEqual([step, 1, 1, 1]);
  }
  const at = (type: string, subject: string) => history.find((e) => e.type === type && [dataOf(e).stepKey, dataOf(e).phaseKey].includes(subject))!.version;
  STANDARD_COMPLAINT.phases.forEach((phase, i) => {
    if (i > 0) expect(at('PhaseCompleted', STANDARD_COMPLAINT.phases[i - 1])).toBeLessThan(at('PhaseStarted', phase));
  });
  for (const step of stepsOf(call)) {
    for (const dep of step.dependsOn) expect([step.key, dep, at('StepCompleted', dep) < at('StepReady', step.key)]).toEqual([step.key, dep, true]);
  }
}

/** The stream's events as PostgreSQL has them. */
async function storedEvents(url: string, streamId: string): Promise<{ version: number; type: string; position: number }[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ stream_version: string; type: string; position: string }>(
      'SELECT stream_version, type, position FROM event_store.events WHERE stream_id = $1 ORDER BY stream_version',
      [streamId],
    );
    return rows.map((r) => ({ version: Number(r.stream_version), type: r.type, position: Number(r.position) }));
  } finally {
    await client.end();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
