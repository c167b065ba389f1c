/**
 * A real GraphQL-over-WebSocket client for tests: the `graphql-ws` library (graphql-transport-ws
 * protocol) on the `ws` WebSocket, and a collector that keeps what a subscription pushed.
 */
import { Client, createClient, ExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';
import { GraphQLErrorBody, waitFor } from './graphql-client';

export interface ConnectOptions {
  /** the connection_init payload, e.g. `{ Authorization: 'Bearer dev-manager-key' }`; omitted: none */
  connectionParams?: Record<string, unknown>;
  /** headers of the HTTP upgrade request */
  headers?: Record<string, string>;
}

/** ws://host:port/graphql for http://host:port/graphql */
export const webSocketUrl = (graphqlUrl: string): string => graphqlUrl.replace(/^http/, 'ws');

/** Every socket the clients of this test file opened, so a test can cut one off abruptly. */
export const openedSockets: WebSocket[] = [];

/** A graphql-ws client that connects at once and never retries (a refusal is what a test wants to see). */
export function connect(graphqlUrl: string, options: ConnectOptions = {}): Client {
  const headers = options.headers;
  class TestWebSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, headers ? { headers } : {});
      openedSockets.push(this);
    }
  }
  return createClient({
    url: webSocketUrl(graphqlUrl),
    webSocketImpl: TestWebSocket,
    connectionParams: options.connectionParams,
    retryAttempts: 0,
    lazy: true,
  });
}

/** The connection_init payload the README documents. */
export const bearer = (key: string): Record<string, string> => ({ Authorization: `Bearer ${key}` });

/** The close event a refused connection ends with. */
export interface CloseEventLike {
  code: number;
  reason: string;
}

/** What one subscription received: data pushes, GraphQL errors, or the connection closing under it. */
export class Pushes<T> {
  readonly values: T[] = [];
  /** `error` messages' payloads (GraphQL errors), or the close event when the connection was refused or lost */
  failure?: GraphQLErrorBody[] | CloseEventLike | Error;
  completed = false;
  readonly stop: () => void;

  constructor(client: Client, query: string, variables?: Record<string, unknown>) {
    this.stop = client.subscribe<T>(
      { query, variables },
      {
        next: (result: ExecutionResult<T>) => {
          if (result.errors?.length) this.failure = result.errors as unknown as GraphQLErrorBody[];
          else this.values.push(result.data as T);
        },
        error: (error) => {
          this.failure = error as GraphQLErrorBody[] | CloseEventLike | Error;
        },
        complete: () => {
          this.completed = true;
        },
      },
    );
  }

  /** Waits until the pushed values satisfy the predicate; fails at once when the subscription failed. */
  async until(predicate: (values: T[]) => boolean, timeoutMs = 10_000, description = 'pushes'): Promise<T[]> {
    await waitFor(() => this.failure !== undefined || predicate(this.values), timeoutMs, { description, intervalMs: 10 });
    if (this.failure) throw new Error(`the subscription failed: ${describeFailure(this.failure)}`);
    return this.values;
  }

  /** Waits for the subscription to fail and returns why (GraphQL errors or a close event). */
  async failed(timeoutMs = 10_000): Promise<GraphQLErrorBody[] | CloseEventLike | Error> {
    return waitFor(() => this.failure, timeoutMs, { description: 'the subscription to fail', intervalMs: 10 });
  }
}

export function describeFailure(failure: unknown): string {
  if (failure && typeof failure === 'object' && 'code' in failure && 'reason' in failure) {
    const close = failure as CloseEventLike;
    return `connection closed ${close.code} ${close.reason}`;
  }
  if (failure instanceof Error) return failure.message;
  return JSON.stringify(failure);
}
