import { ValidationError } from '../shared/domain-error';
import { isoInstant, LIMITS, optionalText, requiredText } from '../shared/validation';
import { FeedbackInput, ResolutionInput } from './service-call.commands';
import { Compensation, FeedbackDetails, ResolutionDetails } from './service-call.types';

const CURRENCY = /^[A-Z]{3}$/;

/** The complaint record as a client sends it: the agreed solution, carried out now or promised by a date. */
export function validateResolution(input: ResolutionInput | undefined, now: Date): ResolutionDetails {
  const value = input ?? {};
  const agreedSolution = requiredText('agreedSolution', value.agreedSolution, LIMITS.longText);
  if (typeof value.implemented !== 'boolean') throw new ValidationError('implemented', 'implemented must be true or false');
  const implemented = value.implemented;
  let promisedBy: string | undefined;
  if (value.promisedBy !== undefined && value.promisedBy !== null) {
    if (implemented) throw new ValidationError('promisedBy', 'promisedBy is only for a solution not carried out yet (implemented: false)');
    const date = isoInstant('promisedBy', value.promisedBy);
    if (date.getTime() <= now.getTime()) throw new ValidationError('promisedBy', 'promisedBy must be in the future');
    promisedBy = date.toISOString();
  } else if (!implemented) {
    throw new ValidationError('promisedBy', 'a solution not carried out yet needs the date it is promised by');
  }
  return {
    agreedSolution,
    implemented,
    ...(promisedBy ? { promisedBy } : {}),
    ...optionalField('compensation', validateCompensation(value.compensation)),
    ...optionalField('rootCause', optionalText('rootCause', value.rootCause, LIMITS.longText)),
    ...optionalField('preventionSuggestion', optionalText('preventionSuggestion', value.preventionSuggestion, LIMITS.longText)),
  };
}

function validateCompensation(input: unknown): Compensation | undefined {
  if (input === undefined || input === null) return undefined;
  if (typeof input !== 'object') throw new ValidationError('compensation', 'compensation must be an object');
  const c = input as Record<string, unknown>;
  const kind = requiredText('compensation.kind', c.kind, LIMITS.shortText);
  let amount: number | undefined;
  if (c.amount !== undefined && c.amount !== null) {
    if (typeof c.amount !== 'number' || !Number.isFinite(c.amount) || c.amount < 0) {
      throw new ValidationError('compensation.amount', 'compensation.amount must be a number of at least 0');
    }
    amount = Math.round(c.amount * 100) / 100;
  }
  const rawCurrency = optionalText('compensation.currency', c.currency, 3);
  const currency = rawCurrency?.toUpperCase();
  if (currency !== undefined && !CURRENCY.test(currency)) {
    throw new ValidationError('compensation.currency', 'compensation.currency must be an ISO 4217 code such as EUR');
  }
  if (amount !== undefined && amount > 0 && currency === undefined) {
    throw new ValidationError('compensation.currency', 'an amount needs its currency');
  }
  const description = optionalText('compensation.description', c.description, LIMITS.longText);
  return { kind, ...optionalField('amount', amount), ...optionalField('currency', currency), ...optionalField('description', description) };
}

/** The customer's answer to the follow-up (or any later contact). */
export function validateFeedback(input: FeedbackInput | undefined): FeedbackDetails {
  const value = input ?? {};
  if (typeof value.satisfied !== 'boolean') throw new ValidationError('satisfied', 'satisfied must be true or false');
  let score: number | undefined;
  if (value.score !== undefined && value.score !== null) {
    if (typeof value.score !== 'number' || !Number.isInteger(value.score) || value.score < 1 || value.score > 5) {
      throw new ValidationError('score', 'score must be a whole number from 1 to 5');
    }
    score = value.score;
  }
  if (value.wouldBuyAgain !== undefined && value.wouldBuyAgain !== null && typeof value.wouldBuyAgain !== 'boolean') {
    throw new ValidationError('wouldBuyAgain', 'wouldBuyAgain must be true or false');
  }
  const wouldBuyAgain = typeof value.wouldBuyAgain === 'boolean' ? value.wouldBuyAgain : undefined;
  const comment = optionalText('comment', value.comment, LIMITS.longText);
  return { satisfied: value.satisfied, ...optionalField('score', score), ...optionalField('wouldBuyAgain', wouldBuyAgain), ...optionalField('comment', comment) };
}

const optionalField = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
