import { ApiKey } from '@app/config';
import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import { RequestWithCaller } from './api-key.guard';

/** The authenticated API key of the request (set by ApiKeyGuard). */
export const Caller = createParamDecorator((_: unknown, context: ExecutionContext): ApiKey => {
  const caller = GqlExecutionContext.create(context).getContext<{ req: RequestWithCaller }>().req.caller;
  if (!caller) throw new Error('Caller used on an operation without @Roles');
  return caller;
});

export const actorOf = (caller: ApiKey): string => `apikey:${caller.name}`;
