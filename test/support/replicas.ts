/**
 * The product as separate processes, the way an operator runs the deployed shape: a Temporal dev
 * server of its own (as test/e2e/external-temporal.e2e.spec.ts starts one) and replicas started by
 * `npm run start:api` / `npm run start:worker` (`node scripts/start-replica.mjs api|worker`), each
 * in its own process group, so a test can stop it (SIGTERM to the script, which passes it on) or
 * crash it (SIGKILL to the group). A replica restarts with the same environment.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { waitFor } from './graphql-client';
import { livingMembers, portFree } from './stack';

const ROOT = path.resolve(__dirname, '..', '..');
const REPLICA_SCRIPT = path.join(ROOT, 'scripts', 'start-replica.mjs');
const WATCHDOG = path.join(__dirname, 'stack-watchdog.mjs');
const OUTPUT_LIMIT = 256 * 1024;

/** A process group started from this test process, with its output kept and a watchdog behind it. */
export class GroupProcess {
  protected child?: ChildProcess;
  protected output = '';
  protected exited?: Promise<void>;

  constructor(readonly name: string) {}

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** What it printed so far (all its runs), ANSI colours removed; the last `chars` characters. */
  logs(chars = 20_000): string {
    return this.output.slice(-chars);
  }

  /** SIGTERM to the leader, then (after `timeoutMs`, or at once when it exited) SIGKILL to what is left of the group. */
  async stop(timeoutMs = 30_000): Promise<void> {
    if (!this.child?.pid) return;
    if (this.running) this.child.kill('SIGTERM');
    const stopped = await Promise.race([this.exited!.then(() => true), sleep(timeoutMs).then(() => false)]);
    if (!stopped) this.note(`did not stop within ${timeoutMs} ms after SIGTERM; killing the process group`);
    await this.kill();
  }

  /** A crash: SIGKILL to the whole process group; waits until every member is gone. */
  async kill(): Promise<void> {
    const pid = this.child?.pid;
    if (!pid) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // the group is gone already
    }
    await this.exited;
    await waitFor(() => livingMembers(pid).length === 0, 30_000, { description: `process group ${pid} to be gone`, intervalMs: 100 });
  }

  protected spawn(command: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
    const child = spawn(command, args, { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    spawn(process.execPath, [WATCHDOG, String(process.pid), String(child.pid)], { detached: true, stdio: 'ignore' }).unref();
    child.unref();
    (child.stdout as unknown as { unref?: () => void }).unref?.();
    (child.stderr as unknown as { unref?: () => void }).unref?.();
    child.stdout.on('data', (chunk: Buffer) => this.append(chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => this.append(chunk.toString('utf8')));
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        this.note(`exited (${signal ?? code})`);
        resolve();
      });
    });
    return child;
  }

  protected append(text: string): void {
    // eslint-disable-next-line no-control-regex -- strips the ANSI colour codes (ESC [ ... m) from the product's log
    this.output += text.replace(/\x1b\[[0-9;]*m/g, '');
    if (this.output.length > OUTPUT_LIMIT * 2) this.output = this.output.slice(-OUTPUT_LIMIT);
    if (process.env.E2E_STACK_LOG) process.stderr.write(`[${this.name}] ${text}`);
  }

  protected note(text: string): void {
    this.append(`[e2e ${new Date().toISOString()}] ${this.name}: ${text}\n`);
  }

  /** Resolves when the output (from `from` on) matches `ready`; rejects when the process exits first or the time is up. */
  protected async awaitOutput(ready: RegExp, from: number, timeoutMs: number): Promise<void> {
    let decided = false; // ends the polling when the process exited first (else it would poll on until the timeout)
    const outcome = await Promise.race([
      waitFor(() => decided || ready.test(this.output.slice(from)), timeoutMs, { intervalMs: 100, description: `${this.name}: ${ready}` }).then(
        () => 'ready' as const,
        () => 'timeout' as const,
      ),
      this.exited!.then(() => 'exited' as const),
    ]);
    decided = true;
    if (outcome !== 'ready') {
      await this.kill();
      throw new Error(`${this.name} did not start (${outcome} after at most ${timeoutMs} ms). Output:\n${this.logs()}`);
    }
  }
}

/** A Temporal dev server (the pinned CLI, TEMPORAL_CLI_PATH from `npm test`) on its own SQLite file. */
export class TemporalDevServer extends GroupProcess {
  readonly address: string;

  private constructor(
    readonly port: number,
    readonly dataDir: string,
  ) {
    super('temporal');
    this.address = `127.0.0.1:${port}`;
  }

  /** `extraArgs` go to `temporal server start-dev` after the others (e.g. the `--sqlite-pragma` options `npm start` uses). */
  static async start(port: number, cliPath: string, extraArgs: readonly string[] = []): Promise<TemporalDevServer> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-e2e-temporal-'));
    const server = new TemporalDevServer(port, dataDir);
    server.spawn(
      cliPath,
      ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--db-filename', path.join(dataDir, 't.sqlite'), '--log-level', 'error', ...extraArgs],
      process.env,
    );
    await Promise.race([
      waitFor(async () => !(await portFree(port)), 60_000, { description: `the Temporal dev server on ${port}`, intervalMs: 100 }),
      server.exited!.then(() => {
        throw new Error(`the Temporal dev server exited:\n${server.logs()}`);
      }),
    ]);
    return server;
  }

  async dispose(): Promise<void> {
    await this.stop(10_000);
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}

export type ReplicaRole = 'api' | 'worker';

export interface ReplicaOptions {
  role: ReplicaRole;
  /** a name for the diagnostics, e.g. `api-1` */
  name?: string;
  /** the replica's environment on top of this process's (TEMPORAL_ADDRESS, DATA_DIR, PORT, API_KEYS, ...) */
  env: Record<string, string>;
  /** until "[start:api] ready" (its /health answers 200) or "[start:worker] started"; default 180 s (it may build first) */
  readyTimeoutMs?: number;
}

/** One replica as `npm run start:api` or `npm run start:worker` starts it. */
export class Replica extends GroupProcess {
  private constructor(private readonly options: ReplicaOptions) {
    super(options.name ?? options.role);
  }

  static async start(options: ReplicaOptions): Promise<Replica> {
    const replica = new Replica(options);
    await replica.launch();
    return replica;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.options.env.PORT}`;
  }

  get graphqlUrl(): string {
    return `${this.baseUrl}/graphql`;
  }

  /** Starts it again with the same environment (after stop() or kill()). */
  async restart(): Promise<void> {
    if (this.running) throw new Error(`${this.name} is still running; stop() or kill() it first`);
    if (this.options.role === 'api') {
      const port = Number(this.options.env.PORT);
      await waitFor(() => portFree(port), 60_000, { description: `port ${port} to be free`, intervalMs: 200 });
    }
    await this.launch();
  }

  private async launch(): Promise<void> {
    const env: NodeJS.ProcessEnv = { ...process.env, ...this.options.env, FORCE_COLOR: '0', NO_COLOR: '1' };
    this.note(`starting npm run start:${this.options.role} (${['PORT', 'TEMPORAL_ADDRESS', 'DATA_DIR'].map((k) => `${k}=${env[k] ?? ''}`).join(' ')})`);
    const from = this.output.length;
    this.spawn(process.execPath, [REPLICA_SCRIPT, this.options.role], env);
    const ready = this.options.role === 'api' ? /\[start:api\] ready/ : /\[start:worker\] started/;
    await this.awaitOutput(ready, from, this.options.readyTimeoutMs ?? 180_000);
  }
}

/** Anything that keeps output: a replica, a Temporal dev server, a Stack. */
export interface LogSource {
  name?: string;
  logs(chars?: number): string;
}

/** Wraps a test body so that a failure carries the tail of each process's output. */
export function withProcessLogs(processes: () => (LogSource | undefined)[], body: () => Promise<void>, chars = 4_000): () => Promise<void> {
  return async () => {
    try {
      await body();
    } catch (error) {
      if (error instanceof Error) {
        for (const p of processes()) if (p) error.message += `\n\n--- ${p.name ?? 'stack'} output (last ${chars} characters) ---\n${p.logs(chars)}`;
      }
      throw error;
    }
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
