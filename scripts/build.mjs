// Compiles the TypeScript of apps/, libs/ and workflows/ to dist/ with swc (seconds, not minutes;
// `npm test` type-checks with tsc separately), then prebuilds the Temporal workflow bundle.
// Both steps are skipped when their sources have not changed since the last build.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'dist');

function fingerprint(dirs) {
  const hash = createHash('sha256');
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) hash.update(file).update(fs.readFileSync(file));
    }
  };
  for (const dir of dirs) walk(path.join(ROOT, dir));
  hash.update(fs.readFileSync(path.join(ROOT, '.swcrc')));
  return hash.digest('hex');
}

function step(name, dirs, marker, run) {
  const markerFile = path.join(DIST, marker);
  const print = fingerprint(dirs);
  if (fs.existsSync(markerFile) && fs.readFileSync(markerFile, 'utf8') === print) {
    console.log(`${name}: up to date`);
    return;
  }
  run();
  fs.writeFileSync(markerFile, print);
}

function exec(bin, args) {
  const r = spawnSync(bin, args, { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

export function build() {
  fs.mkdirSync(DIST, { recursive: true });
  step('compile (swc)', ['apps', 'libs', 'workflows'], '.compiled', () =>
    exec(path.join(ROOT, 'node_modules/.bin/swc'), ['apps', 'libs', 'workflows', '-d', 'dist', '--quiet', '--ignore', '**/*.spec.ts']),
  );
  step('workflow bundle', ['workflows', 'libs/domain'], '.bundled', () =>
    exec(process.execPath, [path.join(DIST, 'apps/worker/src/temporal/bundle-workflows.js')]),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { ensureNodeModules } = await import('./tools.mjs');
  await ensureNodeModules();
  build();
}
