// `npm run start:api` / `npm run start:worker`: ONE replica of the API or of the worker, configured
// from the environment (PORT, DATA_DIR, EVENTSTORE_CONNECTION_STRING, DATABASE_URL, TEMPORAL_ADDRESS,
// API_KEYS, ...; see the README's configuration table), for running the product as separate
// processes against a Temporal server that runs elsewhere. Installs what is missing (npm packages)
// and builds dist/ first, as `npm start` does, but starts no Temporal server: TEMPORAL_ADDRESS is
// required. Node built-ins only, so it works before `npm install`.
//
//   node scripts/start-replica.mjs api       (npm run start:api)
//   node scripts/start-replica.mjs worker    (npm run start:worker)
//
// The replica runs as a child process; SIGTERM or SIGINT (Ctrl-C) is passed on to it, and the script
// exits with its exit code. The API replica prints "[start:api] ready" once its /health answers.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ROLES = {
  api: 'dist/apps/api/src/main.js',
  worker: 'dist/apps/worker/src/main.js',
};

const role = process.argv[2];
const tag = `[start:${role}]`;
if (!Object.hasOwn(ROLES, role)) {
  console.error(`usage: node scripts/start-replica.mjs api|worker (npm run start:api, npm run start:worker)`);
  process.exit(2);
}

// checked before anything is installed or built: a replica never starts a Temporal server of its own
if (!process.env.TEMPORAL_ADDRESS?.trim()) {
  console.error(
    `${tag} TEMPORAL_ADDRESS is not set. A replica starts no Temporal server: set TEMPORAL_ADDRESS to the ` +
      `frontend of a running Temporal server (e.g. TEMPORAL_ADDRESS=127.0.0.1:7233), or use \`npm start\`, ` +
      `which runs the embedded default with its own dev server.`,
  );
  process.exit(2);
}

const env = { ...process.env };
env.DATA_DIR = path.resolve(ROOT, env.DATA_DIR || 'data');
fs.mkdirSync(env.DATA_DIR, { recursive: true });

// installing and building print to stdout like `npm start`; both are skipped when up to date
const { ensureNodeModules } = await import('./tools.mjs');
const { build } = await import('./build.mjs');
await ensureNodeModules();
await buildExclusively();

/**
 * Replicas are often started together (an API and a worker, several of each) from one checkout: only
 * one of them builds at a time, the others then find dist/ up to date. The lock is a folder in dist/;
 * one left behind by a killed start is taken over after two minutes.
 */
async function buildExclusively() {
  const lock = path.join(ROOT, 'dist', '.build-lock');
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 120_000) fs.rmSync(lock, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  const release = () => fs.rmSync(lock, { recursive: true, force: true });
  process.once('exit', release); // build() exits the process when the compiler fails
  try {
    build();
  } finally {
    release();
    process.off('exit', release);
  }
}

let stopping = false;
const child = spawn(process.execPath, ['--enable-source-maps', ROLES[role]], { cwd: ROOT, env, stdio: ['ignore', 'inherit', 'inherit'] });
const forward = (signal) => {
  stopping = true;
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
};
process.on('SIGINT', () => forward('SIGINT'));
process.on('SIGTERM', () => forward('SIGTERM'));
child.on('exit', (code, signal) => {
  if (!stopping) console.error(`${tag} ${role} exited (${signal ?? code})`);
  process.exit(code ?? (stopping ? 0 : 1));
});

if (role === 'api') {
  const port = Number(env.PORT || 3000);
  const started = Date.now();
  let warned = false;
  const healthy = async () => {
    try {
      return (await fetch(`http://127.0.0.1:${port}/health`)).ok;
    } catch {
      return false;
    }
  };
  while (!stopping && child.exitCode === null) {
    if (await healthy()) {
      console.log(`${tag} ready: GraphQL http://localhost:${port}/graphql, Health http://localhost:${port}/health, Temporal ${env.TEMPORAL_ADDRESS}, Data ${env.DATA_DIR}`);
      break;
    }
    if (!warned && Date.now() - started > 90_000) {
      warned = true;
      console.error(`${tag} /health did not answer 200 within 90 s (see its checks); still waiting`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
} else {
  console.log(`${tag} started: Temporal ${env.TEMPORAL_ADDRESS}, Data ${env.DATA_DIR}`);
}
