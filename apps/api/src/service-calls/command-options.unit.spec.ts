import { ApiKey } from '@app/config';
import { ValidationError } from '@app/domain';
import { commandOptions } from './command-options';

// Every call mutation's options come from here (CallResults.change and the routing commands take the
// caller, never a bare actor), so an AGENT key's own-agent check cannot be left out on any path.
describe('the options of a call mutation', () => {
  const agent: ApiKey = { key: 'k1', role: 'AGENT', name: 'anna' };
  const manager: ApiKey = { key: 'k2', role: 'MANAGER', name: 'boss' };

  it('an AGENT key works as the agent it names', () => {
    expect(commandOptions(agent, 3, 'key-1')).toEqual({ actor: 'apikey:anna', agentId: 'anna', expectedVersion: 3, idempotencyKey: 'key-1' });
  });

  it('other roles work any step: no agent', () => {
    const options = commandOptions(manager);
    expect(options).toEqual({ actor: 'apikey:boss', expectedVersion: undefined, idempotencyKey: undefined });
    expect('agentId' in options).toBe(false);
  });

  it('refuses an expectedVersion below 1 and an over-long idempotency key', () => {
    expect(() => commandOptions(agent, 0)).toThrow(ValidationError);
    expect(() => commandOptions(agent, null, 'k'.repeat(10_000))).toThrow(ValidationError);
  });
});
