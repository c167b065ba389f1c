// `npm test` (and CI through .ci/run): install what the tests need, type-check, lint, check the
// layer rules, then run Jest.
// Extra arguments go to Jest: `npm test -- test/tools` or `node scripts/test.mjs -- -t name`.
// Tests get the servers from TEMPORAL_CLI_PATH and TEMPORAL_TEST_SERVER_PATH and hand them to
// @temporalio/testing as `executable: { type: 'existing-path', path }` (see test/tools/temporal-servers.ts).
// PostgreSQL: one throwaway server for the whole run (scripts/postgres.mjs), started beside the static
// checks, passed as TEST_DATABASE_URL (see test/support/postgres.ts) and stopped at the end; a given
// TEST_DATABASE_URL or DATABASE_URL is used instead.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { testPostgres } from './postgres.mjs';
import { ensureAll } from './tools.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const section = (title) => console.log(`\n=== ${title} ===`);

section('tools');
const { cli, testServer } = await ensureAll();
const env = { ...process.env, TEMPORAL_CLI_PATH: cli, TEMPORAL_TEST_SERVER_PATH: testServer };

// Binaries from node_modules/.bin directly: what `npx` would pick, without npx's chance to fetch.
function run(bin, args) {
  const r = spawnSync(path.join(ROOT, 'node_modules', '.bin', bin), args, { cwd: ROOT, env, stdio: 'inherit' });
  if (r.error) throw r.error;
  return r.status ?? 1; // killed by a signal counts as a failure
}

// The static checks: types (tsc), lint (ESLint, typescript-eslint's type-aware rules) and the
// layer rules (dependency-cruiser). Any failing fails the run before any test (CI). They run side by
// side (each is one busy core; ~50 s together instead of ~80 s one after the other on 2 cores) with
// their output held back and printed in order. ESLint's cache (git-ignored, in .tools/) makes a re-run
// lint only changed files, though one changed file still costs building the type-checked program
// (~20 s); a type change can leave an unchanged file's cached result stale until it changes, which a
// fresh clone (CI) never has.
// SKIP_TYPECHECK=1 skips all three (local focused runs while someone else's half-done change does
// not compile); SKIP_LINT=1 skips only lint and layers.
const checks = [];
if (process.env.SKIP_TYPECHECK === '1') {
  section('type check, lint and layers skipped (SKIP_TYPECHECK=1)');
} else {
  checks.push({ name: 'type check', title: 'type check (tsc --noEmit)', bin: 'tsc', args: ['-p', 'tsconfig.json', '--noEmit'] });
  if (process.env.SKIP_LINT === '1') section('lint and layers skipped (SKIP_LINT=1)');
  else {
    const cache = ['--cache', '--cache-strategy', 'content', '--cache-location', '.tools/eslint-cache'];
    checks.push({ name: 'lint', title: 'lint (eslint)', bin: 'eslint', args: [...cache, '.'] });
    checks.push({ name: 'layer rules', title: 'layers (dependency-cruiser)', bin: 'depcruise', args: ['apps', 'libs', 'workflows', 'test', '--config', '.dependency-cruiser.cjs'] });
  }
}
const postgres = testPostgres(env); // starts while the checks run
postgres.catch(() => undefined); // a failed start is reported where it is awaited, below
const outcomes = await Promise.all(checks.map((c) => runCaptured(c.bin, c.args)));
const failed = [];
checks.forEach((c, i) => {
  section(`${c.title}: ${outcomes[i].status === 0 ? 'ok' : 'FAILED'} in ${outcomes[i].seconds.toFixed(1)} s`);
  process.stdout.write(outcomes[i].output);
  if (outcomes[i].status !== 0) failed.push(c.name);
});
if (failed.length > 0) {
  console.error(`\n${failed.join(', ')} failed; not running the tests`);
  await postgres.then((pg) => pg.stop(), () => undefined);
  process.exit(1);
}

section('PostgreSQL');
const pg = await postgres;
console.log(pg.summary);
for (const [name, value] of Object.entries(pg.env)) {
  if (value === undefined) delete env[name];
  else env[name] = value;
}

/** Runs a binary from node_modules/.bin with its stdout and stderr collected, in the order they came. */
function runCaptured(bin, args) {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(path.join(ROOT, 'node_modules', '.bin', bin), args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const done = (status, extra = '') => resolve({ status, output: output + extra, seconds: (Date.now() - t0) / 1000 });
    child.on('error', (error) => done(1, `${error.message}\n`));
    child.on('close', (code) => done(code ?? 1)); // killed by a signal counts as a failure
  });
}

section('tests (jest --runInBand)');
const args = process.argv.slice(2);
if (args[0] === '--') args.shift(); // `node scripts/test.mjs -- x` keeps the `--` that npm strips
// --json --outputFile keeps Jest's usual report and lets us end with the plain
// "N passed, N failed" line that CI reads to count the tests.
const results = path.join(ROOT, '.tools', 'jest-results.json'); // git-ignored; kept for inspection
fs.rmSync(results, { force: true }); // never report a previous run's numbers
const status = run('jest', ['--runInBand', '--json', `--outputFile=${results}`, ...args]);
try {
  const r = JSON.parse(fs.readFileSync(results, 'utf8'));
  console.log(`\njest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
} catch {
  // no results file (e.g. Jest failed to start): its own output says why
}
await pg.stop();
process.exit(status);
