import { isoInstant } from '@app/domain';
import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

// ISO 8601 with a time and an offset (Z or ±hh:mm), as the contract says.
const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function parse(value: unknown): string {
  // Date.parse alone rolls impossible days over (30 February -> 2 March); the domain's parser refuses them
  const date = typeof value === 'string' && ISO_WITH_OFFSET.test(value) ? validInstant(value) : undefined;
  if (!date) throw new GraphQLError(`DateTime must be ISO 8601 with an offset, e.g. 2026-11-23T09:30:00Z; got ${JSON.stringify(value)}`);
  return date.toISOString();
}

function validInstant(value: string): Date | undefined {
  try {
    return isoInstant('DateTime', value);
  } catch {
    return undefined;
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
