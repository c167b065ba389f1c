/**
 * The product as `npm start` runs it (`node scripts/start.mjs`: build, Temporal dev server, API,
 * worker), for end-to-end tests. The script runs detached in its own process group, so a test can
 * stop it the way an operator would (SIGTERM to the script, which stops its children in order) or
 * crash the whole machine's worth of processes at once (SIGKILL to the group: script, API, worker
 * and Temporal dev server). A stack restarts on the same DATA_DIR and ports.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { waitFor } from './graphql-client';

const ROOT = path.resolve(__dirname, '..', '..');
const START_SCRIPT = path.join(ROOT, 'scripts', 'start.mjs');
/** Output kept for diagnostics (the tail, when a start fails or a test asks for it). */
const OUTPUT_LIMIT = 256 * 1024;

/** Port ranges e2e tests may use on shared machines (others run the product on 3000/7233 and 3200-3299/7400-7499). */
export const PORT_RANGES = {
  api: [3100, 3199],
  temporal: [7300, 7399],
  temporalUi: [8300, 8399],
} as const;

export interface StackPorts {
  api: number;
  temporal: number;
  temporalUi: number;
}

export interface StackOptions {
  /** a short name for the temp DATA_DIR and the diagnostics, e.g. the test file's */
  name: string;
  /** default: a fresh temp folder */
  dataDir?: string;
  /** default: free ports picked at random from PORT_RANGES */
  ports?: StackPorts;
  /** extra environment for the product (e.g. READ_YOUR_WRITES_TIMEOUT_MS) */
  env?: Record<string, string>;
  /** how long a start may take until "[start] ready" and a healthy /health (default 180 s: it may build first) */
  readyTimeoutMs?: number;
}

/** Kills a stack's process group once this test process is gone (see the script). */
const WATCHDOG = path.join(__dirname, 'stack-watchdog.mjs');

export class Stack {
  readonly dataDir: string;
  readonly ports: StackPorts;
  readonly baseUrl: string;
  readonly graphqlUrl: string;
  private child?: ChildProcess;
  private output = '';
  private exited?: Promise<void>;
  private readonly ownsDataDir: boolean;

  private constructor(private readonly options: StackOptions, ports: StackPorts) {
    this.ownsDataDir = !options.dataDir;
    this.dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), `sc-e2e-${options.name}-`));
    this.ports = ports;
    this.baseUrl = `http://127.0.0.1:${ports.api}`;
    this.graphqlUrl = `${this.baseUrl}/graphql`;
  }

  /** Starts a stack on a fresh DATA_DIR (unless given) and free ports, and waits until it is ready. */
  static async start(options: StackOptions): Promise<Stack> {
    for (let attempt = 1; ; attempt++) {
      const stack = new Stack(options, options.ports ?? (await pickPorts()));
      try {
        await stack.launch();
        return stack;
      } catch (error) {
        // someone else took a port between our check and the product's bind: try other ones
        const clash = !options.ports && attempt < 3 && /EADDRINUSE|address already in use/i.test(stack.logs());
        if (stack.ownsDataDir && !process.env.KEEP_E2E_DATA) fs.rmSync(stack.dataDir, { recursive: true, force: true });
        if (!clash) throw error;
      }
    }
  }

  /** Process id of the start script, which is also the id of its process group. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** What the stack printed so far (all its runs), ANSI colours removed; the last `chars` characters. */
  logs(chars = 20_000): string {
    return this.output.slice(-chars);
  }

  /** Starts the stack again on the same DATA_DIR and ports (after stop() or kill()). */
  async restart(): Promise<void> {
    if (this.running) throw new Error('the stack is still running; stop() or kill() it first');
    await waitForPortsFree(this.ports, 60_000);
    await this.launch();
  }

  /** The operator's stop: SIGTERM to the start script, which stops the API, the worker and Temporal in order. */
  async stop(timeoutMs = 30_000): Promise<void> {
    const child = this.child;
    if (!child?.pid) return;
    if (this.running) child.kill('SIGTERM');
    const stopped = await Promise.race([this.exited!.then(() => true), sleep(timeoutMs).then(() => false)]);
    if (!stopped) this.note(`did not stop within ${timeoutMs} ms after SIGTERM; killing the process group`);
    // whatever is left of the group (nothing, after a clean stop) goes the hard way
    await this.kill();
  }

  /** A crash of everything at once: SIGKILL to the whole process group (start script, API, worker, Temporal). */
  async kill(): Promise<void> {
    const pid = this.child?.pid;
    if (!pid) return;
    this.killNow();
    await this.exited;
    await waitFor(() => livingMembers(pid).length === 0, 30_000, { description: `process group ${pid} to be gone`, intervalMs: 100 });
  }

  /** Synchronous SIGKILL of the group; kill() also waits until it is gone. */
  killNow(): void {
    const pid = this.child?.pid;
    if (!pid) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // the group is already gone
    }
  }

  /** Stops the stack and removes its DATA_DIR (when it made one), unless KEEP_E2E_DATA is set. */
  async dispose(): Promise<void> {
    await this.stop();
    if (this.ownsDataDir && !process.env.KEEP_E2E_DATA) fs.rmSync(this.dataDir, { recursive: true, force: true });
    else this.note(`kept DATA_DIR ${this.dataDir}`);
  }

  private async launch(): Promise<void> {
    this.note(`starting: PORT=${this.ports.api} TEMPORAL_PORT=${this.ports.temporal} TEMPORAL_UI_PORT=${this.ports.temporalUi} DATA_DIR=${this.dataDir}`);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...this.options.env,
      PORT: String(this.ports.api),
      TEMPORAL_PORT: String(this.ports.temporal),
      TEMPORAL_UI_PORT: String(this.ports.temporalUi),
      DATA_DIR: this.dataDir,
      FORCE_COLOR: '0',
      NO_COLOR: '1',
    };
    // the embedded server, as `npm start` on a fresh machine, unless the test names an external one
    if (!this.options.env?.TEMPORAL_ADDRESS) delete env.TEMPORAL_ADDRESS;
    this.readySearchFrom = this.output.length;
    const child = spawn(process.execPath, [START_SCRIPT], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    // a stack that a test forgot to stop must not keep the test process alive; the watchdog kills it
    spawn(process.execPath, [WATCHDOG, String(process.pid), String(child.pid)], { detached: true, stdio: 'ignore' }).unref();
    child.unref();
    (child.stdout as unknown as { unref?: () => void }).unref?.();
    (child.stderr as unknown as { unref?: () => void }).unref?.();
    let ready = false;
    const sawReady = new Promise<void>((resolve) => {
      const onData = (chunk: Buffer) => {
        this.append(chunk.toString('utf8'));
        if (!ready && this.output.includes('[start] ready', this.readySearchFrom)) {
          ready = true;
          resolve();
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', (chunk: Buffer) => this.append(chunk.toString('utf8')));
    });
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        this.note(`start script exited (${signal ?? code})`);
        resolve();
      });
    });
    const timeoutMs = this.options.readyTimeoutMs ?? 180_000;
    const outcome = await Promise.race([
      sawReady.then(() => 'ready' as const),
      this.exited.then(() => 'exited' as const),
      sleep(timeoutMs).then(() => 'timeout' as const),
    ]);
    if (outcome !== 'ready') {
      await this.kill();
      throw new Error(`the stack did not start (${outcome} after ${timeoutMs} ms). Output:\n${this.logs()}`);
    }
    await waitFor(async () => (await fetch(`${this.baseUrl}/health`)).status === 200, 30_000, { description: 'GET /health to answer 200', intervalMs: 200 });
  }

  /** where in the output the current launch's "[start] ready" is looked for */
  private readySearchFrom = 0;

  private append(text: string): void {
    // eslint-disable-next-line no-control-regex -- strips the ANSI colour codes (ESC [ ... m) from the product's log
    this.output += text.replace(/\x1b\[[0-9;]*m/g, '');
    if (this.output.length > OUTPUT_LIMIT * 2) {
      const cut = this.output.length - OUTPUT_LIMIT;
      this.output = this.output.slice(cut);
      this.readySearchFrom = Math.max(0, this.readySearchFrom - cut);
    }
    if (process.env.E2E_STACK_LOG) process.stderr.write(text);
  }

  private note(text: string): void {
    this.append(`[e2e ${new Date().toISOString()}] ${text}\n`);
  }
}

/** Members of a process group that are still alive (zombies, whose ports are already released, do not count). */
export function livingMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // pid (comm) state ppid pgrp ...; comm may contain spaces and parentheses
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') members.push(Number(entry));
  }
  return members;
}

/** True when nothing listens on the port (on any address) and we could bind it. */
export function portFree(port: number): Promise<boolean> {
  const bind = (host: string) =>
    new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
    });
  return bind('0.0.0.0').then(async (free) => free && (await bind('127.0.0.1')));
}

export async function waitForPortsFree(ports: StackPorts, timeoutMs: number): Promise<void> {
  for (const port of [ports.api, ports.temporal, ports.temporalUi]) {
    await waitFor(() => portFree(port), timeoutMs, { description: `port ${port} to be free`, intervalMs: 200 });
  }
}

async function pickPort([from, to]: readonly [number, number], taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = from + Math.floor(Math.random() * (to - from + 1));
    if (!taken.has(port) && (await portFree(port))) {
      taken.add(port);
      return port;
    }
  }
  throw new Error(`no free port in ${from}-${to}`);
}

/** Free ports from the e2e ranges; random, so two test files (or two people) rarely collide. */
export async function pickPorts(): Promise<StackPorts> {
  const taken = new Set<number>();
  return {
    api: await pickPort(PORT_RANGES.api, taken),
    temporal: await pickPort(PORT_RANGES.temporal, taken),
    temporalUi: await pickPort(PORT_RANGES.temporalUi, taken),
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * Wraps a test body so that a failure carries the tail of the stack's output (the API's, the
 * worker's and Temporal's logs): `it('...', withStackLogs(() => stack, async () => { ... }))`.
 */
export function withStackLogs(stack: () => Stack | undefined, body: () => Promise<void>, chars = 6_000): () => Promise<void> {
  return async () => {
    try {
      await body();
    } catch (error) {
      const logs = stack()?.logs(chars);
      if (logs && error instanceof Error) error.message += `\n\n--- stack output (last ${chars} characters) ---\n${logs}`;
      throw error;
    }
  };
}
