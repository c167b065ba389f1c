import { AUTOMATED_ACTION_NAMES } from '@app/domain';
import { NestFactory } from '@nestjs/core';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { WorkerModule } from '../worker.module';
import { actionsByName, AutomatedActionRegistry } from './automated-action.registry';
import { NotifyCustomerAction } from './notify-customer.action';

describe("the worker's automated actions", () => {
  it('the worker module provides an action for every name of the catalogue (AUTOMATED_ACTIONS), and no other', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'worker-actions-'));
    const saved = process.env.DATA_DIR;
    process.env.DATA_DIR = dataDir; // ConfigModule reads the environment, as the worker does
    try {
      const app = await NestFactory.createApplicationContext(WorkerModule, { logger: ['error'] });
      try {
        const registry = app.get(AutomatedActionRegistry);
        expect(registry.names.sort()).toEqual([...AUTOMATED_ACTION_NAMES].sort());
        for (const name of AUTOMATED_ACTION_NAMES) expect(registry.get(name)?.name).toBe(name);
        expect(registry.get('send-fax')).toBeUndefined();
      } finally {
        await app.close();
      }
    } finally {
      if (saved === undefined) delete process.env.DATA_DIR;
      else process.env.DATA_DIR = saved;
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('a registry lacking an action of the catalogue refuses to exist, naming it (the worker does not start)', () => {
    expect(() => actionsByName([new NotifyCustomerAction()])).toThrow(/no automated action review-customer-history/);
  });
});
