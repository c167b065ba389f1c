import { repositoryRoot } from '@app/config';
import { bundleWorkflowCode } from '@temporalio/worker';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { workflowBundleOptions } from './workflow-bundle';

/** Writes dist/workflow-bundle.js so the worker starts without running webpack (called by scripts/build.mjs). */
async function main(): Promise<void> {
  const { code } = await bundleWorkflowCode({ ...workflowBundleOptions(), logger: quietLogger });
  const file = path.join(repositoryRoot(), 'dist/workflow-bundle.js');
  fs.writeFileSync(file, code);
  console.log(`workflow bundle: ${path.relative(process.cwd(), file)} (${Math.round(code.length / 1024)} KiB)`);
}

const quietLogger = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: console.warn, error: console.error };

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
