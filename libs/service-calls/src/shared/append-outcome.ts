import { EventStore, RecordedEvent, WrongExpectedVersionError } from '@app/event-store';
import { randomUUID } from 'node:crypto';

/**
 * An append failed with an error that does not tell whether it was written (anything but a version
 * conflict: over a network the store may have committed before the answer was lost), and reading the
 * stream again failed too. Whoever would undo something because of the append must not: it may have
 * landed. A retry with the same idempotency key finds out.
 */
export class AppendOutcomeUnknownError extends Error {
  constructor(
    readonly streamId: string,
    readonly appendError: unknown,
    readonly readError: unknown,
  ) {
    super(`stream ${streamId}: the append failed (${String(appendError)}) and whether it was written is unknown (reading the stream failed: ${String(readError)})`);
    this.name = 'AppendOutcomeUnknownError';
  }
}

/**
 * After `appendError` from an append whose events carry `scopedKey` as their idempotency key: the
 * stream as it is now when the append landed after all, undefined when it did not (a version conflict
 * never wrote anything). Throws AppendOutcomeUnknownError when the stream cannot be read.
 */
export async function streamIfLanded(store: EventStore, streamId: string, scopedKey: string, appendError: unknown): Promise<RecordedEvent[] | undefined> {
  if (appendError instanceof WrongExpectedVersionError) return undefined;
  let recorded: RecordedEvent[];
  try {
    recorded = await store.readStream(streamId);
  } catch (readError) {
    throw new AppendOutcomeUnknownError(streamId, appendError, readError);
  }
  return recorded.some((e) => e.metadata.idempotencyKey === scopedKey) ? recorded : undefined;
}

/** Whether a saga may undo its earlier steps after this error of a later one (not when that step may have been written). */
export function mayCompensate(error: unknown): boolean {
  return !(error instanceof AppendOutcomeUnknownError);
}

/**
 * The options of a saga's step with an idempotency key, a one-off one when the caller gave none: an
 * ambiguous failure of the step is then resolved by reading its stream (executeOnStream does) before
 * the saga decides whether to undo anything.
 */
export function withStepKey<T extends { idempotencyKey?: string }>(options: T, step: string): T & { idempotencyKey: string } {
  return { ...options, idempotencyKey: options.idempotencyKey ?? `${step}#${randomUUID()}` };
}
