import { createHash, randomBytes } from 'node:crypto';

// Crockford's base32, lower-cased (no i, l, o, u)
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** `agt_` + 10 characters of time + 16 random (ULID-like: sorts by creation, unguessable). */
export function newAgentId(actor: string, idempotencyKey?: string, now: Date = new Date()): string {
  // a retried registration with the same key lands on the same stream and finds the first result
  if (idempotencyKey) return `agt_${base32(createHash('sha256').update(`${actor}\n${idempotencyKey}`).digest()).slice(0, 26)}`;
  let time = '';
  for (let ms = now.getTime(), i = 0; i < 10; i++, ms = Math.floor(ms / 32)) time = ALPHABET[ms % 32] + time;
  return `agt_${time}${base32(randomBytes(16)).slice(0, 16)}`;
}

/** An absence id, unique within its agent: `abs_` + 16 random characters. */
export function newAbsenceId(): string {
  return `abs_${base32(randomBytes(16)).slice(0, 16)}`;
}

function base32(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => ALPHABET[b & 31]).join('');
}
