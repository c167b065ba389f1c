import { ConflictError, DomainError, DomainErrorCode } from '../shared/domain-error';

// The language of the decider specs (tests only): given these events, when this command, then these
// events (or this error). One for every aggregate: its fold, its decide, and the usual context.

export type ErrorExpectation = { code?: DomainErrorCode; field?: string; message?: RegExp };

export function specLanguage<State, Command, Event, Ctx>(
  fold: (events: Event[]) => State,
  decide: (command: Command, state: State, ctx: Ctx) => Event[],
  defaultCtx: Ctx,
) {
  return function given(...history: Event[]) {
    const state = fold(history);
    return {
      when(command: Command, ctx: Ctx = defaultCtx) {
        const run = () => decide(command, state, ctx);
        return {
          then(expected: Event[]): void {
            expect(run()).toEqual(expected);
          },
          thenThrows(errorClass: new (...args: never[]) => DomainError, expected: ErrorExpectation = {}): void {
            let thrown: unknown;
            try {
              run();
            } catch (error) {
              thrown = error;
            }
            expect(thrown).toBeInstanceOf(errorClass);
            const error = thrown as DomainError & { field?: string; currentVersion?: number };
            if (expected.code !== undefined) expect(error.code).toBe(expected.code);
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
