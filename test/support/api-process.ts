/**
 * The API alone (no Temporal, no worker) in a child process on a fresh DATA_DIR, built from the
 * current sources, for tests that drive it from outside (HTTP, WebSocket) and look inside it (IPC):
 * see api-harness.mjs.
 */
import { ChildProcess, fork, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

type Message = { id?: number; value?: unknown; error?: string; ready?: boolean; url?: string };

export class ApiProcess {
  graphqlUrl = '';
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private output = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly dataDir: string,
  ) {
    const append = (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-50_000));
    child.stdout!.on('data', append);
    child.stderr!.on('data', append);
    child.on('message', (message: Message) => {
      const waiter = message.id === undefined ? undefined : this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id!);
      if (message.error) waiter.reject(new Error(message.error));
      else waiter.resolve(message.value);
    });
  }

  /** Builds dist/ when the sources changed (seconds; skipped otherwise), then starts the API and waits until it listens. */
  static async start(env: Record<string, string> = {}): Promise<ApiProcess> {
    const build = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}\n${build.stderr}`);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'api-process-'));
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env, DATA_DIR: dataDir };
    if (!env.API_KEYS) delete childEnv.API_KEYS; // the development keys
    const child = fork(path.join(__dirname, 'api-harness.mjs'), [], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    const api = new ApiProcess(child, dataDir);
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the API did not start in 60 s:\n${api.logs()}`)), 60_000);
      child.on('message', (message: Message) => {
        if (!message.ready) return;
        clearTimeout(timer);
        resolve(message.url!);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the API exited (${code}) before it was ready:\n${api.logs()}`));
      });
    });
    api.graphqlUrl = `${url}/graphql`;
    return api;
  }

  /**
   * `app.get(<exportName of dist/<file>.js>)[member]`, called with args when it is a method; the
   * answer travels as JSON. E.g. `invoke('libs/service-calls/src/index', 'ServiceCallCommandProcessor', 'execute', [...])`.
   */
  invoke<T = unknown>(file: string, exportName: string, member: string, args?: unknown[]): Promise<T> {
    const id = ++this.nextId;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.child.send({ id, file, exportName, member, args });
    });
  }

  /** What the API printed (its errors and warnings). */
  logs(): string {
    return this.output;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
      if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    }
    if (!process.env.KEEP_E2E_DATA) fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}
