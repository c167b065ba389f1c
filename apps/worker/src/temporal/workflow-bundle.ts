import { repositoryRoot } from '@app/config';
import type { BundleOptions } from '@temporalio/worker';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * How to bundle workflows/: the bundler (webpack) does not read tsconfig paths, so the one alias
 * workflow code uses, @app/domain, is given to it here.
 */
export function workflowBundleOptions(): Pick<BundleOptions, 'workflowsPath' | 'webpackConfigHook'> {
  const root = repositoryRoot();
  return {
    workflowsPath: path.join(root, 'workflows/src/workflows.ts'),
    webpackConfigHook: (config) => {
      config.resolve = config.resolve ?? {};
      config.resolve.alias = { ...(config.resolve.alias as object), '@app/domain': path.join(root, 'libs/domain/src') };
      return config;
    },
  };
}

/** Prebuilt bundle written by `npm run build`, so the worker starts without running webpack. */
export function prebuiltWorkflowBundle(): string | undefined {
  const file = path.join(repositoryRoot(), 'dist/workflow-bundle.js');
  return fs.existsSync(file) ? file : undefined;
}
