import { ApiKey } from '@app/config';
import { LIMITS, optionalText, ValidationError } from '@app/domain';
import { CommandOptions } from '@app/service-calls';
import { actorOf } from '../auth/caller.decorator';

/**
 * The options every call mutation takes, checked at the edge. A caller with the AGENT role works as
 * the agent its key stands for (the key's name): the decider lets them work only what is theirs.
 */
export function commandOptions(caller: ApiKey, expectedVersion?: number | null, idempotencyKey?: string | null): CommandOptions {
  if (expectedVersion !== undefined && expectedVersion !== null && expectedVersion < 1) {
    throw new ValidationError('expectedVersion', 'expectedVersion must be at least 1 (a call has at least one event)');
  }
  return {
    actor: actorOf(caller),
    expectedVersion: expectedVersion ?? undefined,
    idempotencyKey: optionalText('idempotencyKey', idempotencyKey, LIMITS.key),
    ...(caller.role === 'AGENT' ? { agentId: caller.name } : {}),
  };
}
