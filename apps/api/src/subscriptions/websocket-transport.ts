import { AppConfig } from '@app/config';
import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DocumentNode, GraphQLError, GraphQLSchema, validate } from 'graphql';
import { ApiKeys } from '../auth/api-keys';
import { RequestWithCaller } from '../auth/api-key.guard';
import { toContractError } from '../graphql/error-formatter';

/** Sent by the server so that a dead client is noticed (a write to it fails) and its subscriptions end. */
export const KEEP_ALIVE_MS = 30_000;

/** The graphql-ws library's protocol (the contract's); Mercurius also speaks the legacy `graphql-ws` one. */
const GRAPHQL_TRANSPORT_WS = 'graphql-transport-ws';
/** graphql-transport-ws: "If the server wishes to reject the connection it is recommended to close the socket with 4403: Forbidden" */
const FORBIDDEN_CLOSE_CODE = 4403;

type UpgradeRequest = FastifyRequest & RequestWithCaller;

interface WebSocketLike {
  readonly protocol: string;
  on(event: 'message', listener: (data: Buffer | string) => void): unknown;
  off(event: 'message', listener: (data: Buffer | string) => void): unknown;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/**
 * Mercurius's `subscription` options (app.module.ts). Each subscription's context carries the
 * WebSocket's upgrade request as `req`, as HTTP operations carry theirs, so the ApiKeyGuard and
 * @Caller work unchanged; its `caller` was set when the connection was accepted (see below).
 */
export const WEBSOCKET_SUBSCRIPTIONS = {
  keepAlive: KEEP_ALIVE_MS,
  context: (_socket: unknown, request: UpgradeRequest) => {
    // never reached for a refused connection (the socket is closed), but never ack one without a caller
    if (!request.caller) throw new Error('connection_init was not authenticated');
    return { req: request };
  },
};

/**
 * Authenticates WebSocket connections in their `connection_init`, before Mercurius acknowledges it.
 * The key comes from the payload, `{ "Authorization": "Bearer <key>" }` (or `authorization`, or the
 * same inside `headers`), else from the upgrade request's Authorization header. A missing or unknown
 * key is refused the way the protocol says: close code 4403 Forbidden for graphql-transport-ws, a
 * `connection_error` message for legacy graphql-ws. Mercurius alone cannot do this: its onConnect
 * sees neither the socket nor the upgrade request, and answers every protocol with connection_error.
 *
 * Also validates subscription documents against the schema (Mercurius executes them unvalidated),
 * so a mistake is refused with BAD_USER_INPUT like on HTTP.
 */
@Injectable()
export class WebSocketTransport implements OnApplicationBootstrap {
  private readonly keys: ApiKeys;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    config: AppConfig,
  ) {
    this.keys = new ApiKeys(config.apiKeys);
    // Constructors run before any onModuleInit, so this hook is in place before GraphQLModule's
    // onModuleInit registers Mercurius and its WebSocket route; the route's handler is wrapped so
    // that our message listener sees the connection_init before Mercurius's does.
    this.fastify?.addHook('onRoute', (route) => {
      const options = route as typeof route & { wsHandler?: (socket: WebSocketLike, request: UpgradeRequest) => unknown };
      const handler = options.wsHandler;
      if (typeof handler !== 'function') return;
      const authenticate = (socket: WebSocketLike, request: UpgradeRequest) => this.authenticateConnection(socket, request);
      options.wsHandler = function (this: unknown, socket, request) {
        authenticate(socket, request);
        return handler.call(this, socket, request);
      };
    });
  }

  onApplicationBootstrap(): void {
    const graphql = this.fastify?.graphql;
    graphql?.addHook('preSubscriptionExecution', async (schema: GraphQLSchema, document: DocumentNode) => {
      const [error] = validate(schema, document);
      if (error) throw contractGraphQLError(error);
    });
  }

  private get fastify(): FastifyInstance | undefined {
    return this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
  }

  private authenticateConnection(socket: WebSocketLike, request: UpgradeRequest): void {
    const onMessage = (data: Buffer | string) => {
      const message = parseMessage(data);
      // anything before connection_init is Mercurius's to refuse
      if (message?.type !== 'connection_init') return;
      socket.off('message', onMessage);
      try {
        request.caller = this.keys.authenticate(authorizationOf(message.payload) ?? request.headers.authorization);
      } catch (error) {
        refuse(socket, error instanceof Error ? error.message : 'Forbidden');
      }
    };
    socket.on('message', onMessage);
  }
}

function refuse(socket: WebSocketLike, reason: string): void {
  if (socket.protocol === GRAPHQL_TRANSPORT_WS) {
    socket.close(FORBIDDEN_CLOSE_CODE, 'Forbidden');
    return;
  }
  socket.send(JSON.stringify({ type: 'connection_error', payload: { message: reason } }));
  socket.close();
}

function parseMessage(data: Buffer | string): { type?: unknown; payload?: unknown } | undefined {
  try {
    const message: unknown = JSON.parse(data.toString());
    return typeof message === 'object' && message !== null ? message : undefined;
  } catch {
    return undefined;
  }
}

/** The Authorization value of a connection_init payload: at its top level or inside `headers`, either spelling. */
export function authorizationOf(payload: unknown): unknown {
  for (const fields of [payload, (payload as { headers?: unknown } | undefined)?.headers]) {
    if (typeof fields !== 'object' || fields === null) continue;
    const { Authorization, authorization } = fields as Record<string, unknown>;
    if (Authorization !== undefined || authorization !== undefined) return Authorization ?? authorization;
  }
  return undefined;
}

/** A GraphQL error already in the contract's shape: Mercurius sends subscription start errors as they are. */
export function contractGraphQLError(error: unknown): GraphQLError {
  const graphQLError = error instanceof GraphQLError ? error : new GraphQLError(error instanceof Error ? error.message : String(error), { originalError: error as Error });
  const { message, extensions } = toContractError(graphQLError);
  return new GraphQLError(message, { nodes: graphQLError.nodes, source: graphQLError.source, positions: graphQLError.positions, extensions });
}
