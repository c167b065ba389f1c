// `npm test` (and CI through .ci/run): install what the tests need, type-check, lint, check the
// layer rules, then run Jest.
// Extra arguments go to Jest: `npm test -- test/tools` or `node scripts/test.mjs -- -t name`.
// Tests get the servers from TEMPORAL_CLI_PATH and TEMPORAL_TEST_SERVER_PATH and hand them to
// @temporalio/testing as `executable: { type: 'existing-path', path }` (see test/tools/temporal-servers.ts).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
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

// A type error fails the run before any test (CI). SKIP_TYPECHECK=1 is for local focused runs
// while someone else's half-done change does not compile.
if (process.env.SKIP_TYPECHECK === '1') {
  section('type check skipped (SKIP_TYPECHECK=1)');
} else {
  section('type check (tsc --noEmit)');
  const tscStatus = run('tsc', ['-p', 'tsconfig.json', '--noEmit']);
  if (tscStatus !== 0) {
    console.error('type check failed; not running the tests');
    process.exit(tscStatus);
  }
}

// Lint and layer rules: both run, so one run shows both reports; either failing stops the run
// before Jest. ESLint's cache (git-ignored, in .tools/) makes a re-run check only changed files
// (all of them take ~50 s on 2 cores, as on a fresh clone in CI); a type change can leave an
// unchanged file's cached result stale until it changes, which a fresh clone never has.
// SKIP_TYPECHECK=1 (focused local runs) skips these too; SKIP_LINT=1 skips only these.
if (process.env.SKIP_TYPECHECK === '1' || process.env.SKIP_LINT === '1') {
  section('lint and layers skipped');
} else {
  section('lint (eslint)');
  const lintStatus = run('eslint', ['--cache', '--cache-strategy', 'content', '--cache-location', '.tools/eslint-cache', '.']);
  section('layers (dependency-cruiser)');
  const layerStatus = run('depcruise', ['apps', 'libs', 'workflows', 'test', '--config', '.dependency-cruiser.cjs']);
  if (lintStatus !== 0 || layerStatus !== 0) {
    const failed = [lintStatus !== 0 && 'lint', layerStatus !== 0 && 'layer rules'].filter(Boolean);
    console.error(`${failed.join(' and ')} failed; not running the tests`);
    process.exit(lintStatus || layerStatus);
  }
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
process.exit(status);
