import { createHash, randomBytes, randomUUID } from 'node:crypto';

// Crockford's base32 without I, L, O, U: easy to read out over the phone, no ambiguous characters.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** 12 random characters (60 bits) in three groups, e.g. `7KQ2-X9MD-R4TB`: unguessable, easy to dictate. */
export function newTrackingCode(): string {
  const bytes = randomBytes(12);
  const chars = Array.from(bytes, (b) => ALPHABET[b & 31]).join('');
  return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8, 12)}`;
}

/** A call id; derived from the idempotency key when there is one, so a retried open finds the same call. */
export function newCallId(actor: string, idempotencyKey?: string): string {
  if (!idempotencyKey) return randomUUID();
  const hash = createHash('sha256').update(`${actor}\n${idempotencyKey}`).digest('hex');
  // shaped like a UUID (version nibble 5-style) so ids look alike whichever way they were made
  return `${hash.slice(0, 8)}-${hash.slice(8, 12)}-5${hash.slice(13, 16)}-${((parseInt(hash[16], 16) & 3) | 8).toString(16)}${hash.slice(17, 20)}-${hash.slice(20, 32)}`;
}

export function isCallId(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(value);
}
