import { ApiKey, AppConfig, Role } from '@app/config';
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { GqlExecutionContext } from '@nestjs/graphql';
import { ApiError } from '../graphql/api-error';
import { ApiKeys } from './api-keys';
import { PUBLIC_KEY, ROLES_KEY } from './roles.decorator';

export interface RequestWithCaller {
  headers: Record<string, string | string[] | undefined>;
  caller?: ApiKey;
}

/**
 * Every GraphQL operation needs `Authorization: Bearer <key>` unless marked @Public; the key's role
 * must be one of the operation's @Roles. Operations without @Roles are refused (deny by default).
 * Subscriptions too: their context's `req` is the WebSocket's upgrade request, whose caller the
 * connection's `connection_init` already authenticated (subscriptions/websocket-transport.ts).
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keys: ApiKeys;

  constructor(
    private readonly reflector: Reflector,
    config: AppConfig,
  ) {
    this.keys = new ApiKeys(config.apiKeys);
  }

  canActivate(context: ExecutionContext): boolean {
    if (context.getType<string>() !== 'graphql') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const request = GqlExecutionContext.create(context).getContext<{ req: RequestWithCaller }>().req;
    const caller = this.authenticate(request);
    const roles = this.reflector.getAllAndOverride<Role[]>(ROLES_KEY, targets) ?? [];
    if (!roles.includes(caller.role)) throw new ApiError('FORBIDDEN', `the ${caller.role} role may not do this`);
    request.caller = caller;
    return true;
  }

  private authenticate(request: RequestWithCaller): ApiKey {
    return request.caller ?? this.keys.authenticate(request.headers.authorization);
  }
}
