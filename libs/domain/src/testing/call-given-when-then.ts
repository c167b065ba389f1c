import { ConflictError, DomainError, DomainErrorCode } from '../shared/domain-error';
import { CommandContext, ServiceCallCommand } from '../service-call/service-call.commands';
import { decide, foldServiceCall } from '../service-call/service-call.decider';
import { ServiceCallEvent } from '../service-call/service-call.events';

// The language of the service-call decider specs (tests only): given these events, when this command,
// then these events (or this error).

export type ErrorExpectation = { code: DomainErrorCode; field?: string; message?: RegExp };

/** `given(...history).when(command, ctx?).then(events)` / `.thenThrows(ErrorClass, { code, field, message })`. */
export function callSpecs(defaultCtx: CommandContext) {
  return function given(...history: ServiceCallEvent[]) {
    const state = foldServiceCall(history);
    return {
      when(command: ServiceCallCommand, ctx: CommandContext = defaultCtx) {
        const run = () => decide(command, state, ctx);
        return {
          then(expected: ServiceCallEvent[]): void {
            expect(run()).toEqual(expected);
          },
          thenThrows(errorClass: new (...args: never[]) => DomainError, expected: ErrorExpectation): void {
            let thrown: unknown;
            try {
              run();
            } catch (error) {
              thrown = error;
            }
            expect(thrown).toBeInstanceOf(errorClass);
            const error = thrown as DomainError & { field?: string; currentVersion?: number };
            expect(error.code).toBe(expected.code);
            if ('field' in expected) expect(error.field).toBe(expected.field);
            if (expected.message) expect(error.message).toMatch(expected.message);
            // a conflict always tells the client which version it conflicted with
            if (error instanceof ConflictError) expect(error.currentVersion).toBe(history.length);
          },
        };
      },
    };
  };
}
