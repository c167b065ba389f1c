import { DomainError } from '@app/domain';
import { Logger } from '@nestjs/common';
import { GraphQLError } from 'graphql';
import { ApiError, ErrorCode } from './api-error';

const logger = new Logger('GraphQL');

export interface ContractError {
  message: string;
  path?: readonly (string | number)[];
  locations?: readonly { line: number; column: number }[];
  extensions: { code: ErrorCode; field?: string; currentVersion?: number } & Record<string, unknown>;
}

/** Mercurius reports a failed validation as one error wrapping graphql-js's list: unfold it. */
export function toContractErrors(errors: readonly GraphQLError[]): ContractError[] {
  return errors.flatMap((error) => {
    const inner = (error.originalError as { errors?: unknown } | undefined)?.errors;
    if (Array.isArray(inner)) {
      return (inner as unknown[]).map((e) => toContractError(e instanceof GraphQLError ? e : new GraphQLError(messageOf(e))));
    }
    return [toContractError(error)];
  });
}

function messageOf(e: unknown): string {
  const message = typeof e === 'object' && e !== null && 'message' in e ? e.message : undefined;
  return String(message ?? e);
}

/**
 * Turns anything a GraphQL operation raised into the contract's error shape: a stable
 * `extensions.code`, the input `field` where one applies, and never a stack trace.
 */
export function toContractError(error: GraphQLError): ContractError {
  const base = { path: error.path, locations: error.locations };
  const original = unwrap(error);
  if (original instanceof DomainError) {
    const e = original as DomainError & { field?: string; currentVersion?: number };
    return { ...base, message: e.message, extensions: clean({ code: e.code, field: e.field, currentVersion: e.currentVersion }) };
  }
  if (original instanceof ApiError) {
    return { ...base, message: original.message, extensions: { ...original.extensions, code: original.code } };
  }
  if (!original || original === error || original instanceof GraphQLError) {
    // raised by graphql-js itself: parsing, validation, variable coercion (unknown enum values, wrong
    // types, a scalar's parseValue refusing a value); coercion wraps the enum's or scalar's own
    // GraphQLError, so the outer message is the one that names the variable path
    return { ...base, message: error.message, extensions: clean({ code: 'BAD_USER_INPUT' as const, field: fieldOf(error.message) }) };
  }
  if (isClientHttpError(original)) {
    // Fastify / Mercurius refusing the request itself: malformed JSON, a body over the limit, no query
    return { ...base, message: original.message, extensions: { code: 'BAD_USER_INPUT' } };
  }
  logger.error(`${error.message}`, (original as Error).stack);
  return { ...base, message: 'internal error', extensions: { code: 'INTERNAL' } };
}

function unwrap(error: GraphQLError): unknown {
  let current: unknown = error.originalError;
  // Nest and mercurius may wrap the thrown error once more
  while (current instanceof GraphQLError && current.originalError) current = current.originalError;
  return current;
}

/**
 * The input path graphql-js names in a coercion message, e.g. `Variable "$input" got invalid value
 * "X" at "input.channel"` -> `channel` (relative to the operation's input, like domain fields).
 */
export function fieldOf(message: string): string | undefined {
  const at = /at "([^"]+)"/.exec(message)?.[1];
  if (at) return at.replace(/^input\./, '');
  const argument = /Argument "([^"]+)"/.exec(message)?.[1] ?? /Field "([^"]+)" of required type/.exec(message)?.[1];
  const variable = /Variable "\$([^"]+)"/.exec(message)?.[1];
  return argument ?? variable;
}

function clean<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Fastify's and Mercurius's own errors carry the HTTP status they stand for; 4xx means the request was at fault. */
function isClientHttpError(error: unknown): error is Error & { statusCode: number } {
  const status = (error as { statusCode?: unknown } | undefined)?.statusCode;
  return error instanceof Error && typeof status === 'number' && status >= 400 && status < 500;
}
