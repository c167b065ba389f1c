// Starts the product exactly as `npm start` does (node scripts/start.mjs) in its own process group,
// and stops it: SIGTERM to the group, SIGKILL to whatever is left after a grace period.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import readline from 'node:readline';
import { cmdline, descendants, processGroup } from './procfs.mjs';

export const portInUse = (port) =>
  new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => (socket.destroy(), resolve(true)));
    socket.on('error', () => resolve(false));
  });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * env: the variables to set (PORT, DATA_DIR, ...); variables that would switch the product away from
 * its embedded default (an external Temporal, EventStoreDB, PostgreSQL, custom keys) are removed.
 * onLine(line) sees every output line; everything also goes to logFile.
 */
export function startProduct({ root, env, logFile, onLine = () => {}, readyTimeoutMs = 180_000 }) {
  const childEnv = { ...process.env, ...env };
  for (const name of ['TEMPORAL_ADDRESS', 'EVENTSTORE_CONNECTION_STRING', 'DATABASE_URL', 'API_KEYS']) delete childEnv[name];
  const log = fs.createWriteStream(logFile);
  const child = spawn(process.execPath, ['scripts/start.mjs'], {
    cwd: root,
    env: childEnv,
    detached: true, // own process group: one signal reaches start.mjs, Temporal, API and worker
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  let ready = false;
  let resolveReady;
  const readyPromise = new Promise((r) => (resolveReady = r));
  for (const stream of [child.stdout, child.stderr]) {
    readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
      log.write(`${line}\n`);
      if (!ready && line.includes('[start] ready')) {
        ready = true;
        resolveReady();
      }
      onLine(line, ready);
    });
  }

  const product = {
    pid: child.pid,
    exited,
    logFile,
    /** the API, worker and Temporal server processes (by their command lines) */
    processes() {
      const found = {};
      for (const p of descendants(child.pid)) {
        const cmd = cmdline(p.pid);
        if (cmd.includes('dist/apps/api/src/main.js')) found.api = p.pid;
        else if (cmd.includes('dist/apps/worker/src/main.js')) found.worker = p.pid;
        else if (/(^|\/)temporal(\s|$)/.test(cmd.split(' ')[0] ?? '') || cmd.includes('start-dev')) found.temporal ??= p.pid;
      }
      return found;
    },
    stop() {
      this.stopping ??= stopAll();
      return this.stopping;
    },
  };

  /** SIGTERM to the whole group; SIGKILL to whatever is left after 20 s. */
  async function stopAll() {
    const started = Date.now();
    // a process that left the group (setsid) is still ours while its pid shows the same command line
    const known = [child.pid, ...descendants(child.pid).map((p) => p.pid)].map((pid) => ({ pid, cmd: cmdline(pid) }));
    const alive = () =>
      new Set([
        ...processGroup(child.pid).map((p) => p.pid),
        ...known.filter(({ pid, cmd }) => isAlive(pid) && cmdline(pid) === cmd).map(({ pid }) => pid),
      ]);
    const signal = (sig) => {
      try {
        process.kill(-child.pid, sig);
      } catch {
        // the group is gone
      }
    };
    signal('SIGTERM');
    let graceful = true;
    for (let waited = 0; alive().size > 0 && waited < 20_000; waited += 100) await sleep(100);
    if (alive().size > 0) {
      graceful = false;
      signal('SIGKILL');
      for (const pid of alive()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      for (let waited = 0; alive().size > 0 && waited < 5_000; waited += 100) await sleep(100);
    }
    await Promise.race([exited, sleep(1000)]);
    await new Promise((r) => log.end(r));
    return { graceful, seconds: (Date.now() - started) / 1000, leftOver: alive().size };
  }

  /** resolves once start.mjs printed "[start] ready"; rejects (after stopping everything) otherwise */
  product.ready = (async () => {
    let timer;
    const outcome = await Promise.race([
      readyPromise.then(() => 'ready'),
      exited.then(({ code, signal }) => `exited (${signal ?? code}) before it was ready`),
      new Promise((r) => (timer = setTimeout(r, readyTimeoutMs))).then(() => `not ready within ${readyTimeoutMs / 1000} s`),
    ]);
    clearTimeout(timer);
    if (outcome !== 'ready') {
      await product.stop();
      throw new Error(`the product ${outcome}; see ${logFile}`);
    }
  })();
  // returned at once, so that a Ctrl-C during the start can still stop what was spawned
  return product;
}

function isAlive(pid) {
  try {
    const state = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) Z /.test(state);
  } catch {
    return false;
  }
}
