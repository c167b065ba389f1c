import { LIMITS, optionalText, ValidationError } from '@app/domain';
import { CommandOptions } from '@app/service-calls';

/** The options every call mutation takes, checked at the edge. */
export function commandOptions(actor: string, expectedVersion?: number | null, idempotencyKey?: string | null, agentId?: string): CommandOptions {
  if (expectedVersion !== undefined && expectedVersion !== null && expectedVersion < 1) {
    throw new ValidationError('expectedVersion', 'expectedVersion must be at least 1 (a call has at least one event)');
  }
  return {
    actor,
    expectedVersion: expectedVersion ?? undefined,
    idempotencyKey: optionalText('idempotencyKey', idempotencyKey, LIMITS.key),
    ...(agentId !== undefined ? { agentId } : {}),
  };
}
