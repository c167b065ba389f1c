/** A tiny GraphQL-over-HTTP client for end-to-end tests, and a poller for eventually consistent reads. */

export const DEV_KEYS = {
  INTEGRATOR: 'dev-integrator-key',
  MANAGER: 'dev-manager-key',
  AGENT: 'dev-agent-key',
} as const;

export interface GraphQLErrorBody {
  message: string;
  path?: (string | number)[];
  locations?: { line: number; column: number }[];
  extensions?: { code?: string; field?: string; currentVersion?: number } & Record<string, unknown>;
}

export interface GraphQLResult<T> {
  data: T | null;
  errors?: GraphQLErrorBody[];
  /** HTTP status */
  status: number;
  /** the response body as sent, for assertions on what must not be in it */
  body: string;
}

export interface RequestOptions {
  /** `null`: send no Authorization header at all */
  apiKey?: string | null;
  /** a raw Authorization header instead of `Bearer <apiKey>` */
  authorization?: string;
  timeoutMs?: number;
}

export class GraphQLClient {
  constructor(
    readonly url: string,
    readonly apiKey: string | null = DEV_KEYS.INTEGRATOR,
  ) {}

  /** Same endpoint, another key (`null`: no key). */
  as(apiKey: string | null): GraphQLClient {
    return new GraphQLClient(this.url, apiKey);
  }

  async request<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, options: RequestOptions = {}): Promise<GraphQLResult<T>> {
    return this.post<T>(JSON.stringify({ query, variables }), options);
  }

  /** Sends a raw body (e.g. malformed JSON) with content-type application/json. */
  async post<T = Record<string, unknown>>(body: string, options: RequestOptions = {}): Promise<GraphQLResult<T>> {
    const apiKey = options.apiKey === undefined ? this.apiKey : options.apiKey;
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (options.authorization !== undefined) headers.authorization = options.authorization;
    else if (apiKey !== null) headers.authorization = `Bearer ${apiKey}`;
    const response = await fetch(this.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(options.timeoutMs ?? 30_000) });
    const text = await response.text();
    let parsed: { data?: T | null; errors?: GraphQLErrorBody[] } = {};
    try {
      parsed = JSON.parse(text) as typeof parsed; // the GraphQL-over-HTTP answer shape
    } catch {
      throw new Error(`not a JSON answer (HTTP ${response.status}): ${text.slice(0, 500)}`);
    }
    return { data: parsed.data ?? null, errors: parsed.errors, status: response.status, body: text };
  }

  /** Like request(), but throws unless the answer has data and no errors. */
  async ok<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, options?: RequestOptions): Promise<T> {
    const result = await this.request<T>(query, variables, options);
    if (result.errors?.length || result.data === null) {
      throw new GraphQLRequestError(result.errors ?? [], `GraphQL errors: ${JSON.stringify(result.errors ?? result.body)}`);
    }
    return result.data;
  }
}

export class GraphQLRequestError extends Error {
  constructor(
    readonly errors: GraphQLErrorBody[],
    message: string,
  ) {
    super(message);
    this.name = 'GraphQLRequestError';
  }

  get code(): string | undefined {
    return this.errors[0]?.extensions?.code;
  }
}

/**
 * Polls `condition` until it returns a value other than undefined, null or false, and returns that
 * value. Errors thrown by `condition` count as "not yet" (the last one is reported on timeout).
 */
export async function waitFor<T>(
  condition: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs: number,
  { intervalMs = 50, description = 'a condition' }: { intervalMs?: number; description?: string } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value !== undefined && value !== null && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError ? ` (last error: ${lastError instanceof Error ? lastError.message : JSON.stringify(lastError)})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
