import { ValidationError } from '../shared/domain-error';
import { callbackWindowOpen, callbackWindowState, validateCallbackRequest } from './callback';

const NOW = new Date('2026-11-23T10:00:00.000Z');
const valid = { phone: '+49 30 1234567', windowFrom: '2026-11-23T11:00:00+01:00', windowTo: '2026-11-23T12:00:00Z' };

function refusal(run: () => unknown): { field: string; message: string } {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return { field: (error as ValidationError).field, message: (error as ValidationError).message };
  }
  throw new Error('expected a ValidationError');
}

describe('callback request validation', () => {
  it('accepts a phone number and a window, normalising the instants to UTC', () => {
    expect(validateCallbackRequest(valid, NOW)).toEqual({ phone: '+49 30 1234567', windowFrom: '2026-11-23T10:00:00.000Z', windowTo: '2026-11-23T12:00:00.000Z' });
  });

  it('accepts a window that is already open', () => {
    expect(validateCallbackRequest({ ...valid, windowFrom: '2026-11-23T09:00:00Z' }, NOW).windowFrom).toBe('2026-11-23T09:00:00.000Z');
  });

  it.each([
    ['a missing phone', { ...valid, phone: undefined }, 'phone', /must not be blank/],
    ['a malformed phone', { ...valid, phone: 'call me' }, 'phone', /not a valid phone number/],
    ['a zone-less windowFrom', { ...valid, windowFrom: '2026-11-23T11:00:00' }, 'windowFrom', /ISO 8601/],
    ['a missing windowTo', { ...valid, windowTo: null }, 'windowTo', /ISO 8601/],
    ['an empty window', { ...valid, windowTo: valid.windowFrom }, 'windowTo', /later than windowFrom/],
    ['a reversed window', { ...valid, windowFrom: '2026-11-23T13:00:00Z' }, 'windowTo', /later than windowFrom/],
    ['a window longer than 14 days', { ...valid, windowTo: '2026-12-08T00:00:00Z' }, 'windowTo', /at most 14 days/],
    ['a window already over', { ...valid, windowFrom: '2026-11-23T08:00:00Z', windowTo: '2026-11-23T10:00:00Z' }, 'windowTo', /already past/],
  ])('refuses %s with its field path', (_name, input, field, message) => {
    const error = refusal(() => validateCallbackRequest(input, NOW));
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
  });

  it('prefixes field paths and refuses a non-object', () => {
    expect(refusal(() => validateCallbackRequest({ ...valid, phone: 'x' }, NOW, 'callback')).field).toBe('callback.phone');
    expect(refusal(() => validateCallbackRequest(null, NOW, 'callback')).field).toBe('callback');
  });
});

describe('callback window', () => {
  const request = { phone: '+4930123456', windowFrom: '2026-11-23T10:00:00.000Z', windowTo: '2026-11-23T12:00:00.000Z' };
  it.each([
    ['2026-11-23T09:59:59.999Z', 'BEFORE', false],
    ['2026-11-23T10:00:00.000Z', 'OPEN', true],
    ['2026-11-23T11:59:59.999Z', 'OPEN', true],
    ['2026-11-23T12:00:00.000Z', 'PASSED', false],
  ])('at %s it is %s', (at, state, open) => {
    expect(callbackWindowState(request, new Date(at))).toBe(state);
    expect(callbackWindowOpen(request, new Date(at))).toBe(open);
  });
});
