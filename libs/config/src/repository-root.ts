import * as fs from 'node:fs';
import * as path from 'node:path';

/** The repository root, found from wherever the code runs (sources under jest, dist/ in production). */
export function repositoryRoot(from = __dirname): string {
  for (let dir = from; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'service-call-backend') return dir;
  }
  throw new Error(`no repository root above ${from}`);
}
