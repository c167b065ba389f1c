/**
 * Errors the domain raises. Their `code` is the public contract's `extensions.code`; the API maps
 * them one to one. The domain never throws framework exceptions.
 */
export type DomainErrorCode = 'BAD_USER_INPUT' | 'NOT_FOUND' | 'CONFLICT' | 'FORBIDDEN';

export abstract class DomainError extends Error {
  abstract readonly code: DomainErrorCode;
}

/** The input is invalid; `field` is the path inside the operation's input, e.g. `customer.email`. */
export class ValidationError extends DomainError {
  readonly code = 'BAD_USER_INPUT' as const;
  constructor(readonly field: string, message: string) {
    super(message);
    this.name = 'ValidationError';
  }
}

export class NotFoundError extends DomainError {
  readonly code = 'NOT_FOUND' as const;
  constructor(message: string, readonly field?: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

/** The command is not allowed in the current state, or the expected version is stale. */
export class ConflictError extends DomainError {
  readonly code = 'CONFLICT' as const;
  constructor(message: string, readonly currentVersion?: number, readonly field?: string) {
    super(message);
    this.name = 'ConflictError';
  }
}

/** The caller may not do this to this thing (e.g. an agent working a step assigned to another agent). */
export class ForbiddenError extends DomainError {
  readonly code = 'FORBIDDEN' as const;
  constructor(message: string, readonly field?: string) {
    super(message);
    this.name = 'ForbiddenError';
  }
}
