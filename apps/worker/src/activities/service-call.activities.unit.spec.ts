import { ConflictError, NotFoundError, ValidationError } from '@app/domain';
import { ConcurrentChangeError } from '@app/service-calls';
import { DOMAIN_ERROR_TYPE } from '@app/workflows';
import { ApplicationFailure } from '@temporalio/common';
import { asActivityFailure } from './service-call.activities';

describe('how activity errors reach the workflow', () => {
  it.each([
    ['a conflict', new ConflictError('step is COMPLETED', 4)],
    ['an unknown step', new NotFoundError('no such step', 'stepKey')],
    ['invalid input', new ValidationError('outcome', 'too long')],
  ])('%s is a non-retryable DomainError failure', (_, error) => {
    const failure = asActivityFailure(error) as ApplicationFailure;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure.type).toBe(DOMAIN_ERROR_TYPE);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain(error.code);
  });

  it('a lost append race stays retryable', () => {
    const error = new ConcurrentChangeError(7);
    expect(asActivityFailure(error)).toBe(error);
  });

  it('an infrastructure error (e.g. a busy database) stays retryable', () => {
    const error = new Error('SQLITE_BUSY');
    expect(asActivityFailure(error)).toBe(error);
  });
});
