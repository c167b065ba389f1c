/**
 * With TEMPORAL_ADDRESS set, `npm start` starts no Temporal server of its own and runs calls on the
 * one it is given; /health tells when that server is gone.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { temporalCliExecutable } from '../tools/temporal-servers';
import { DEV_KEYS, GraphQLClient, waitFor } from '../support/graphql-client';
import { completeStep, getCall, openCall } from '../support/service-calls';
import { pickPorts, portFree, Stack, withStackLogs } from '../support/stack';

jest.setTimeout(120_000);

describe('an external Temporal server (TEMPORAL_ADDRESS)', () => {
  let stack: Stack | undefined;
  let temporal: ChildProcess | undefined;
  let temporalDir: string;
  const e2e = (body: () => Promise<void>) => withStackLogs(() => stack, body);

  beforeAll(async () => {
    const ports = await pickPorts();
    const external = ports.temporal;
    temporalDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-e2e-external-temporal-'));
    temporal = spawn(
      temporalCliExecutable().path,
      ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(external), '--db-filename', path.join(temporalDir, 't.sqlite'), '--log-level', 'error'],
      { stdio: 'ignore' },
    );
    await waitFor(async () => !(await portFree(external)), 60_000, { description: 'the external Temporal server' });
    // the stack gets other ports for its own (unused) embedded server settings
    const own = await pickPorts();
    stack = await Stack.start({ name: 'external-temporal', ports: { ...own, temporal: own.temporal === external ? own.temporal + 1 : own.temporal }, env: { TEMPORAL_ADDRESS: `127.0.0.1:${external}` } });
  }, 240_000);

  afterAll(async () => {
    await stack?.dispose();
    temporal?.kill('SIGKILL');
    fs.rmSync(temporalDir, { recursive: true, force: true });
  }, 60_000);

  it(
    'starts no embedded server and runs the call on the given one',
    e2e(async () => {
      expect(stack!.logs()).toMatch(/Temporal\s+127\.0\.0\.1:\d+ \(external\)/);
      expect(await portFree(stack!.ports.temporal)).toBe(true);
      const client = new GraphQLClient(stack!.graphqlUrl, DEV_KEYS.INTEGRATOR);
      const call = await openCall(client);
      await waitFor(async () => (await getCall(client, call.id)).phases[0].steps[0].status === 'READY', 30_000, { description: 'record-complaint READY' });
      await completeStep(client, call.id, 'record-complaint');
      await waitFor(async () => (await getCall(client, call.id)).phases[0].steps[1].status === 'READY', 30_000, { description: 'confirm-understanding READY' });
    }),
  );

  it(
    'GET /health answers 503 naming Temporal once the external server is gone',
    e2e(async () => {
      temporal!.kill('SIGKILL');
      const response = await waitFor(async () => {
        const r = await fetch(`${stack!.baseUrl}/health`);
        return r.status === 503 ? r : undefined;
      }, 30_000, { description: '/health 503' });
      const body = (await response.json()) as { checks: Record<string, string> };
      expect(body.checks.temporal).toMatch(/^unavailable/);
      expect(body.checks.eventStore).toBe('ok');
    }),
  );
});
