/**
 * Failure classes of outbound sends. A Temporal activity that lets these escape reports the class name
 * as the failure type, so a retry policy lists `PermanentSendError` (and its subclasses' names, or
 * checks `nonRetryable`) in nonRetryableErrorTypes; everything else is retried.
 */
export class TransientSendError extends Error {
  readonly nonRetryable = false;
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = 'TransientSendError';
  }
}

/** Retrying cannot help: the address is invalid, the provider refused the request (4xx other than 408/429), ... */
export class PermanentSendError extends Error {
  readonly nonRetryable = true;
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = 'PermanentSendError';
  }
}

export const PERMANENT_SEND_ERROR = 'PermanentSendError';

/** HTTP statuses worth retrying: timeouts, throttling and server errors. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}
