import { Catch, ExceptionFilter } from '@nestjs/common';
import { GraphQLError } from 'graphql';
import { contractGraphQLError } from './websocket-transport';

/**
 * For subscription resolvers: an error raised when a subscription starts (the guard's UNAUTHENTICATED
 * or FORBIDDEN, NOT_FOUND, BAD_USER_INPUT) reaches the client as Mercurius sends it, without the
 * error formatter the HTTP answers go through; so it is given the contract's shape here, already.
 */
@Catch()
export class SubscriptionErrors implements ExceptionFilter {
  catch(exception: unknown): GraphQLError {
    return contractGraphQLError(exception);
  }
}
