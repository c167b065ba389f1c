// `npm run rebuild-read-models`: recreate the read models (DATA_DIR/read-models.sqlite, or DATABASE_URL) from the event log.
// Stop the product first: its projector writes to the same tables.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from './build.mjs';
import { ensureNodeModules } from './tools.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
await ensureNodeModules();
build();
const r = spawnSync(process.execPath, ['--enable-source-maps', path.join(ROOT, 'dist/apps/api/src/rebuild-read-models.js')], { cwd: ROOT, stdio: 'inherit' });
process.exit(r.status ?? 1);
