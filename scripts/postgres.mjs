// A throwaway PostgreSQL server for the tests, started by the project itself (no Docker, nothing to
// install): the PostgreSQL 15 binaries of the machine (/usr/lib/postgresql/15/bin, or POSTGRES_BIN_DIR),
// a fresh data folder in the system temp folder, 127.0.0.1 on a free port, its unix socket in that
// folder. Node's own modules only, so `npm test` can use it before `npm install`.
//
// PostgreSQL refuses to run as root: when this process is root, initdb and the server run as the
// `postgres` user (spawn's uid/gid), in a folder that user owns; otherwise as the current user.
//
// The server is owned by a small supervisor process (`node scripts/postgres.mjs serve --owner <pid>`,
// detached): it stops the server (immediate shutdown) and deletes the data folder when asked (SIGTERM,
// SIGINT) and on its own as soon as the owner process is gone (Ctrl-C, a crash, kill -9), so no run
// leaves a server or a data folder behind.
//
// Start-up: initdb runs once per PostgreSQL version; its result is kept as a template in the per-user
// cache (~/.cache/service-call-backend/postgres-<version>-template-…) and copied for each run, which
// takes a fraction of initdb's 1-3 s.
//
//   import { startPostgres } from './postgres.mjs';
//   const pg = await startPostgres();   // { url, port, version, startupMs, stop() } or { unavailable: reason }
//   ...; await pg.stop();
//
// `node scripts/postgres.mjs` runs one for manual use: it prints the URL and stops on Ctrl-C.
//
// The server is for tests: fsync and synchronous commit are off (a crash of the machine may lose it,
// which does not matter for a folder deleted afterwards).
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const THIS_FILE = fileURLToPath(import.meta.url);
const CACHE = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'service-call-backend');
export const DEFAULT_POSTGRES_BIN_DIR = '/usr/lib/postgresql/15/bin';
const READY_LINE = 'database system is ready to accept connections';
const READY_TIMEOUT_MS = 60_000;

const INITDB_ARGS = ['-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync', '--no-instructions', '--wal-segsize=1'];
const SERVER_SETTINGS = {
  listen_addresses: '127.0.0.1',
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  max_connections: '300',
  // no checkpoint while a run is busy: the WAL of a test run stays small
  max_wal_size: '1GB',
};

const log = (msg) => console.error(`[postgres] ${msg}`);

/** The binaries, or why there are none. */
export function findPostgres(binDir = process.env.POSTGRES_BIN_DIR || DEFAULT_POSTGRES_BIN_DIR) {
  const initdb = path.join(binDir, 'initdb');
  const postgres = path.join(binDir, 'postgres');
  for (const bin of [initdb, postgres]) {
    try {
      fs.accessSync(bin, fs.constants.X_OK);
    } catch {
      return { unavailable: `no PostgreSQL binaries at ${binDir} (${path.basename(bin)} missing; set POSTGRES_BIN_DIR to another folder)` };
    }
  }
  const r = spawnSync(postgres, ['--version'], { encoding: 'utf8' });
  const version = /(\d+(?:\.\d+)*)/.exec(r.stdout ?? '')?.[1];
  if (r.status !== 0 || !version) return { unavailable: `${postgres} --version failed: ${(r.stderr || r.stdout || '').trim()}` };
  return { initdb, postgres, version };
}

/** Who runs the server: as root, the `postgres` user (PostgreSQL refuses root); otherwise ourselves. */
function serverAccount() {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const id = (flag) => {
    const r = spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error('running as root, but there is no `postgres` user to run PostgreSQL as (it refuses to run as root)');
    return Number(r.stdout.trim());
  };
  return { uid: id('-u'), gid: id('-g') };
}

function chownTree(dir, account) {
  if (!account) return;
  fs.chownSync(dir, account.uid, account.gid);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) chownTree(p, account);
    else fs.lchownSync(p, account.uid, account.gid);
  }
}

function run(cmd, args, account, cwd) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd, ...(account ?? {}) });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${path.basename(cmd)} failed (${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
}

/**
 * A fresh initdb'd data folder at `data`: a copy of the cached template for this PostgreSQL version
 * and these initdb options, made (once) by initdb when there is none.
 */
function prepareDataDir(pg, data, account) {
  const key = createHash('sha256').update(JSON.stringify(INITDB_ARGS)).digest('hex').slice(0, 12);
  const template = path.join(CACHE, `postgres-${pg.version}-template-${key}`);
  if (fs.existsSync(template)) {
    fs.cpSync(template, data, { recursive: true });
    fs.chmodSync(data, 0o700);
    chownTree(data, account);
    return 'copied from the cached template';
  }
  run(pg.initdb, ['-D', data, ...INITDB_ARGS], account, path.dirname(data));
  // Keep a copy for the next runs; a temp name and a rename, so a half-written template never exists.
  try {
    fs.mkdirSync(CACHE, { recursive: true });
    const tmp = `${template}.${process.pid}.tmp`;
    fs.cpSync(data, tmp, { recursive: true });
    fs.renameSync(tmp, template);
  } catch (error) {
    log(`could not cache the initdb template (${error.message}); the next run runs initdb again`);
  }
  return 'initdb (template cached for the next runs)';
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer().on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
};

/** The supervisor: starts the server, prints one JSON line when it is ready, stops and cleans up. */
async function serve(owner) {
  const t0 = Date.now();
  const pg = findPostgres();
  if (pg.unavailable) {
    process.stdout.write(`${JSON.stringify({ unavailable: pg.unavailable })}\n`);
    return;
  }
  const account = serverAccount();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'service-call-pg-'));
  const cleanUp = () => fs.rmSync(dir, { recursive: true, force: true });
  let server;
  let stopping = false;
  let output = '';
  const stop = (code) => {
    if (stopping) return;
    stopping = true;
    if (!server || server.exitCode !== null || server.signalCode !== null) {
      cleanUp();
      process.exit(code);
    }
    // immediate shutdown: no shutdown checkpoint, the folder is deleted anyway; SIGKILL if it hangs
    server.kill('SIGQUIT');
    const kill = setTimeout(() => server.kill('SIGKILL'), 5000);
    server.once('exit', () => {
      clearTimeout(kill);
      cleanUp();
      process.exit(code);
    });
  };
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => stop(0));
  if (owner) setInterval(() => alive(owner) || stop(0), 500).unref();

  try {
    if (account) fs.chownSync(dir, account.uid, account.gid);
    const data = path.join(dir, 'data');
    const how = prepareDataDir(pg, data, account);
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const settings = { ...SERVER_SETTINGS, port: String(port), unix_socket_directories: dir };
      const args = ['-D', data, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
      output = '';
      server = spawn(pg.postgres, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], ...(account ?? {}) });
      const ready = await new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), READY_TIMEOUT_MS);
        server.stderr.setEncoding('utf8').on('data', (chunk) => {
          output = (output + chunk).slice(-64 * 1024); // the tail, for a failure report
          if (output.includes(READY_LINE)) clearTimeout(timer), resolve(true);
        });
        server.once('exit', () => (clearTimeout(timer), resolve(false)));
      });
      if (ready) {
        server.once('exit', (code, signal) => {
          if (stopping) return;
          log(`the server ended on its own (${code ?? signal}):\n${output}`);
          stop(1);
        });
        const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
        process.stdout.write(`${JSON.stringify({ url, port, version: pg.version, dataDir: how, startupMs: Date.now() - t0 })}\n`);
        return;
      }
      const clash = /could not bind|address already in use/i.test(output);
      if (server.exitCode === null && server.signalCode === null) {
        server.kill('SIGKILL');
        await new Promise((resolve) => server.once('exit', resolve));
      }
      if (!clash || attempt >= 3) throw new Error(`PostgreSQL did not start:\n${output}`);
    }
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ error: error.message })}\n`);
    stop(1);
  }
}

/**
 * Starts a server for this process (the owner): resolves when it accepts connections, with its URL
 * (superuser `postgres`, database `postgres`, no password) and stop(), which ends it and deletes its
 * data folder. Resolves to `{ unavailable: reason }` on a machine without the binaries.
 */
export async function startPostgres() {
  const pg = findPostgres();
  if (pg.unavailable) return { unavailable: pg.unavailable };
  const child = spawn(process.execPath, [THIS_FILE, 'serve', '--owner', String(process.pid)], {
    detached: true, // its own process group: a Ctrl-C reaches the owner, and the supervisor cleans up after it
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const line = await new Promise((resolve) => {
    let buffer = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      buffer += chunk;
      if (buffer.includes('\n')) resolve(buffer.slice(0, buffer.indexOf('\n')));
    });
    exited.then(() => resolve(buffer));
  });
  let info;
  try {
    info = JSON.parse(line);
  } catch {
    info = { error: `the PostgreSQL supervisor ended without a report: ${line}` };
  }
  if (info.unavailable) return { unavailable: info.unavailable };
  if (info.error) throw new Error(info.error);
  child.stdout.resume();
  child.unref();
  child.stdout.unref?.();
  return {
    ...info,
    stop: async () => {
      child.ref(); // wait here for the supervisor to have stopped the server and deleted its folder
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * The PostgreSQL of a test run (scripts/test.mjs). Tests get it as TEST_DATABASE_URL and create their
 * own databases on it (test/support/postgres.ts). A given TEST_DATABASE_URL, or else DATABASE_URL, is
 * used as it is and nothing is started. DATABASE_URL never reaches the tests themselves: a product
 * started by a test must not pick up a shared server by accident. Without binaries, the PostgreSQL
 * specs are skipped and TEST_DATABASE_SKIP_REASON says why.
 * Returns the variables to set (and DATABASE_URL: undefined) and stop().
 */
export async function testPostgres(env = process.env) {
  const given = env.TEST_DATABASE_URL || env.DATABASE_URL;
  if (given) {
    return { env: { TEST_DATABASE_URL: given, DATABASE_URL: undefined }, summary: 'using the given server (TEST_DATABASE_URL or DATABASE_URL)', stop: async () => undefined };
  }
  const pg = await startPostgres();
  if (pg.unavailable) {
    return {
      env: { TEST_DATABASE_SKIP_REASON: pg.unavailable, DATABASE_URL: undefined },
      summary: `not available, PostgreSQL specs are skipped: ${pg.unavailable}`,
      stop: async () => undefined,
    };
  }
  return {
    env: { TEST_DATABASE_URL: pg.url, DATABASE_URL: undefined },
    summary: `PostgreSQL ${pg.version} on 127.0.0.1:${pg.port} (data folder ${pg.dataDir}), ready in ${(pg.startupMs / 1000).toFixed(1)} s`,
    stop: pg.stop,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  if (process.argv[2] === 'serve') {
    const i = process.argv.indexOf('--owner');
    await serve(i > 0 ? Number(process.argv[i + 1]) : undefined);
  } else {
    const pg = await startPostgres();
    if (pg.unavailable) {
      log(pg.unavailable);
      process.exit(1);
    }
    console.log(`${pg.url}\n(PostgreSQL ${pg.version}, ${pg.dataDir}, ready in ${pg.startupMs} ms; Ctrl-C stops it and deletes its data)`);
    process.on('SIGINT', () => pg.stop().then(() => process.exit(0)));
    setInterval(() => undefined, 1 << 30);
  }
}
