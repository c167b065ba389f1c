import { ValidationError } from './domain-error';

/** Small, explicit validators for input at the edge of the domain. Each throws ValidationError with the field path. */

export const LIMITS = {
  name: 200,
  shortText: 100,
  summary: 500,
  longText: 10_000,
  outcome: 5_000,
  key: 200,
} as const;

export function requiredText(field: string, value: unknown, max: number): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ValidationError(field, `${field} must not be blank`);
  return optionalText(field, value, max) as string;
}

export function optionalText(field: string, value: unknown, max: number): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ValidationError(field, `${field} must be a string`);
  const trimmed = value.trim();
  if (trimmed.length > max) throw new ValidationError(field, `${field} is longer than ${max} characters`);
  return trimmed === '' ? undefined : trimmed;
}

// Deliberately plain: one @, no spaces, a dot in the domain. Full RFC 5322 accepts addresses no mail system delivers to.
const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;
export function optionalEmail(field: string, value: unknown): string | undefined {
  const text = optionalText(field, value, 254);
  if (text !== undefined && !EMAIL.test(text)) throw new ValidationError(field, `${field} is not a valid e-mail address`);
  return text?.toLowerCase();
}

// International format: optional +, then digits with common separators; 6 to 15 digits (E.164 allows at most 15).
const PHONE = /^\+?[0-9(][0-9 ()./-]*$/;
export function optionalPhone(field: string, value: unknown): string | undefined {
  const text = optionalText(field, value, 32);
  if (text === undefined) return undefined;
  const digits = text.replace(/\D/g, '');
  if (!PHONE.test(text) || digits.length < 6 || digits.length > 15) {
    throw new ValidationError(field, `${field} is not a valid phone number (use international format, e.g. +49 30 1234567)`);
  }
  return text;
}

export function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new ValidationError(field, `${field} must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}

// Date and time with an explicit offset (ISO 8601 / RFC 3339). `new Date` alone also takes "1" (2001-01-01),
// prose, 30 February (rolled into March) and zone-less times read in the server's own zone.
const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](?:0\d|1[0-4]):?[0-5]\d)$/i;

export function isoInstant(field: string, value: unknown): Date {
  const date = value instanceof Date ? value : typeof value === 'string' ? parseIsoInstant(value.trim()) : undefined;
  if (!date || Number.isNaN(date.getTime())) {
    throw new ValidationError(field, `${field} is not a valid ISO 8601 date-time with offset, e.g. 2025-03-10T09:30:00Z`);
  }
  return date;
}

function parseIsoInstant(text: string): Date | undefined {
  const match = ISO_INSTANT.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute] = match.slice(1, 6).map(Number) as [number, number, number, number, number];
  const second = match[6] === undefined ? 0 : Number(match[6]);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const daysInMonth = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
  if (day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) return undefined;
  return new Date(text);
}
