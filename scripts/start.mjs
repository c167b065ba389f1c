// `npm start`: the product on its embedded default. Installs what is missing (npm packages, the
// pinned Temporal CLI), builds, starts the Temporal dev server (its own SQLite file in DATA_DIR)
// unless TEMPORAL_ADDRESS is set, then the API and the worker. Ctrl-C stops everything.
//
// Environment: PORT (3000), DATA_DIR (./data), TEMPORAL_ADDRESS (unset: embedded server),
// TEMPORAL_PORT (7233) and TEMPORAL_UI_PORT (8233) for the embedded server; the rest is read by the app.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from './build.mjs';
import { ensureNodeModules, ensureTemporalCli } from './tools.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const env = { ...process.env };
const port = Number(env.PORT || 3000);
const dataDir = path.resolve(ROOT, env.DATA_DIR || 'data');
env.DATA_DIR = dataDir;
fs.mkdirSync(dataDir, { recursive: true });

const children = [];
let stopping = false;

function launch(name, command, args, extraEnv = {}) {
  const child = spawn(command, args, { cwd: ROOT, env: { ...env, ...extraEnv }, stdio: ['ignore', 'inherit', 'inherit'] });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`[start] ${name} exited (${signal ?? code}); stopping the rest`);
      stop(1);
    }
  });
  children.push({ name, child });
  return child;
}

async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  // worker and API first, Temporal last, so the worker can hand in-flight tasks back to Temporal
  const exited = ({ child }) => (child.exitCode !== null || child.signalCode ? null : new Promise((r) => child.once('exit', r)));
  const deadline = setTimeout(() => children.forEach(({ child }) => child.kill('SIGKILL')), 15_000);
  const apps = children.filter(({ name }) => name !== 'temporal');
  apps.forEach(({ child }) => child.kill('SIGTERM'));
  await Promise.all(apps.map(exited));
  children.filter(({ name }) => name === 'temporal').forEach(({ child }) => child.kill('SIGTERM'));
  await Promise.all(children.map(exited));
  clearTimeout(deadline);
  process.exit(code);
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

function waitFor(check, what, timeoutMs) {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const attempt = async () => {
      if (stopping) return;
      if (await check().catch(() => false)) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error(`${what} did not come up within ${timeoutMs / 1000} s`));
      setTimeout(attempt, 200);
    };
    attempt();
  });
}

const portOpen = (host, p) =>
  new Promise((resolve) => {
    const socket = net.connect(p, host, () => (socket.destroy(), resolve(true)));
    socket.on('error', () => resolve(false));
  });

await ensureNodeModules();
build();

let temporalUi;
if (!env.TEMPORAL_ADDRESS) {
  const cli = await ensureTemporalCli();
  const temporalPort = Number(env.TEMPORAL_PORT || 7233);
  const uiPort = Number(env.TEMPORAL_UI_PORT || 8233);
  launch('temporal', cli, [
    'server', 'start-dev',
    '--db-filename', path.join(dataDir, 'temporal.sqlite'),
    '--ip', '127.0.0.1', '--port', String(temporalPort), '--ui-port', String(uiPort),
    '--log-level', 'error', '--namespace', env.TEMPORAL_NAMESPACE || 'default',
    // WAL instead of the rollback journal: measured 20-40% faster catch-up of a backlog of new calls
    '--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal',
  ]);
  env.TEMPORAL_ADDRESS = `127.0.0.1:${temporalPort}`;
  temporalUi = `http://localhost:${uiPort}`;
  await waitFor(() => portOpen('127.0.0.1', temporalPort), 'the Temporal dev server', 60_000);
}

launch('api', process.execPath, ['--enable-source-maps', 'dist/apps/api/src/main.js']);
launch('worker', process.execPath, ['--enable-source-maps', 'dist/apps/worker/src/main.js']);
await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/health`)).ok, 'the API', 90_000);

console.log(`
[start] ready
  GraphQL endpoint  http://localhost:${port}/graphql   (GraphiQL: http://localhost:${port}/graphiql)
  Health            http://localhost:${port}/health
  Temporal          ${env.TEMPORAL_ADDRESS}${temporalUi ? `   (UI: ${temporalUi})` : ' (external)'}
  Data              ${dataDir}
`);
