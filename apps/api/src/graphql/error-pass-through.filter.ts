import { ArgumentsHost, Catch } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';

/**
 * Hands errors of GraphQL operations back to GraphQL untouched (the error formatter maps them to the
 * contract's codes and logs only the unexpected ones); HTTP routes keep Nest's default handling.
 */
@Catch()
export class GraphQLErrorPassThrough extends BaseExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): unknown {
    if (host.getType<string>() === 'graphql') return exception;
    return super.catch(exception, host);
  }
}
