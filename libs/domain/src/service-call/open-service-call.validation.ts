import { ValidationError } from '../shared/domain-error';
import { isoInstant, LIMITS, oneOf, optionalEmail, optionalPhone, optionalText, requiredText } from '../shared/validation';
import { OpenServiceCallInput } from './service-call.commands';
import { CHANNELS, PRIORITIES } from './service-call.types';

/** Tolerated client clock skew for receivedAt ("never in the future"). */
const CLOCK_SKEW_MS = 60_000;

/** Checks and normalises (trims) the input of OpenServiceCall; throws ValidationError naming the field. */
export function validateOpenServiceCall(input: OpenServiceCallInput, now: Date): Required<Pick<OpenServiceCallInput, 'priority' | 'receivedAt'>> & OpenServiceCallInput {
  const customer = input.customer ?? ({} as OpenServiceCallInput['customer']);
  const receivedAt = input.receivedAt === undefined || input.receivedAt === null ? now : isoInstant('receivedAt', input.receivedAt);
  if (receivedAt.getTime() > now.getTime() + CLOCK_SKEW_MS) {
    throw new ValidationError('receivedAt', 'receivedAt must not be in the future');
  }
  return {
    channel: oneOf('channel', input.channel, CHANNELS),
    priority: oneOf('priority', input.priority ?? 'NORMAL', PRIORITIES),
    category: requiredText('category', input.category, LIMITS.shortText),
    product: optionalText('product', input.product, LIMITS.shortText),
    region: optionalText('region', input.region, LIMITS.shortText),
    language: optionalLanguage(input.language),
    summary: requiredText('summary', input.summary, LIMITS.summary),
    description: optionalText('description', input.description, LIMITS.longText),
    customer: {
      name: requiredText('customer.name', customer.name, LIMITS.name),
      phone: optionalPhone('customer.phone', customer.phone),
      email: optionalEmail('customer.email', customer.email),
      address: optionalText('customer.address', customer.address, LIMITS.summary),
      preferredChannel:
        customer.preferredChannel === undefined || customer.preferredChannel === null
          ? undefined
          : oneOf('customer.preferredChannel', customer.preferredChannel, CHANNELS),
    },
    receivedBy: optionalText('receivedBy', input.receivedBy, LIMITS.shortText),
    receivedAt: receivedAt.toISOString(),
  };
}

const LANGUAGE = /^[a-z]{2,3}(-[a-z0-9]{2,8})*$/;

/** A language tag such as `de` or `en-GB`, kept lower-cased (as agents' languages are). */
function optionalLanguage(value: unknown): string | undefined {
  const text = optionalText('language', value, 35);
  if (text === undefined) return undefined;
  const tag = text.toLowerCase();
  if (!LANGUAGE.test(tag)) throw new ValidationError('language', 'language must be a language tag such as de or en-GB');
  return tag;
}
