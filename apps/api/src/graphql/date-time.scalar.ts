import { isoInstant } from '@app/domain';
import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

/** ISO 8601 with a time and an offset, as the contract says; the domain's parser is the one rule (it refuses 30 February). */
function parse(value: unknown): string {
  try {
    return isoInstant('DateTime', value instanceof Date ? undefined : value).toISOString();
  } catch {
    throw new GraphQLError(`DateTime must be ISO 8601 with an offset, e.g. 2026-11-23T09:30:00Z; got ${JSON.stringify(value)}`);
  }
}

/** DateTime: ISO 8601 with offset. Values stay ISO strings end to end (events store them so). */
export const DateTime = new GraphQLScalarType<string, string>({
  name: 'DateTime',
  description: 'ISO 8601 date-time with offset, e.g. 2026-11-23T09:30:00Z',
  serialize: (value) => (value instanceof Date ? value.toISOString() : String(value)),
  parseValue: parse,
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('DateTime must be a string');
    return parse(ast.value);
  },
});
