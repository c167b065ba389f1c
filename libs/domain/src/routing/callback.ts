import { ValidationError } from '../shared/domain-error';
import { isoInstant, optionalPhone } from '../shared/validation';
import { CallbackRequest } from './routing.types';

/**
 * A customer waiting on a voice channel asks to be called back inside a time window (issue 5,
 * item 4). The call is flagged CALLBACK; when an agent becomes free while the window is open, a
 * "call back" step is created for them.
 */

/** Longest window a customer may ask for: beyond it "call me back" is a new contact, not a callback. */
export const CALLBACK_WINDOW_MAX_MS = 14 * 86_400_000;

export type CallbackWindowState = 'BEFORE' | 'OPEN' | 'PASSED';

/**
 * Validates `{ phone, windowFrom, windowTo }`: a phone number in international format, two ISO
 * instants with an offset, windowFrom < windowTo, at most CALLBACK_WINDOW_MAX_MS long, and windowTo
 * after `now` (a window already over could never be honoured). Instants come back as UTC ISO strings.
 * Field paths are prefixed with `field` when given ("callback.phone").
 */
export function validateCallbackRequest(input: unknown, now: Date, field = ''): CallbackRequest {
  const path = (name: string): string => (field ? `${field}.${name}` : name);
  if (typeof input !== 'object' || input === null) throw new ValidationError(field || 'input', `${field || 'input'} must be an object`);
  const raw = input as Record<string, unknown>;
  const phone = optionalPhone(path('phone'), raw.phone);
  if (phone === undefined) throw new ValidationError(path('phone'), `${path('phone')} must not be blank`);
  const from = isoInstant(path('windowFrom'), raw.windowFrom);
  const to = isoInstant(path('windowTo'), raw.windowTo);
  if (to.getTime() <= from.getTime()) throw new ValidationError(path('windowTo'), `${path('windowTo')} must be later than windowFrom`);
  if (to.getTime() - from.getTime() > CALLBACK_WINDOW_MAX_MS) {
    throw new ValidationError(path('windowTo'), `${path('windowTo')} must be at most 14 days after windowFrom`);
  }
  if (to.getTime() <= now.getTime()) throw new ValidationError(path('windowTo'), `${path('windowTo')} is already past`);
  return { phone, windowFrom: from.toISOString(), windowTo: to.toISOString() };
}

/** Where `now` lies relative to the window [windowFrom, windowTo). */
export function callbackWindowState(request: CallbackRequest, now: Date): CallbackWindowState {
  const ms = now.getTime();
  if (ms < Date.parse(request.windowFrom)) return 'BEFORE';
  return ms < Date.parse(request.windowTo) ? 'OPEN' : 'PASSED';
}

/** Whether an agent freed now may be given the "call back" step: the window is open. */
export function callbackWindowOpen(request: CallbackRequest, now: Date): boolean {
  return callbackWindowState(request, now) === 'OPEN';
}
