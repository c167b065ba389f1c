import { ApiKey } from '@app/config';
import { ApiError } from '../graphql/api-error';

/** The configured API keys, and the one rule for reading a key from an `Authorization` value (HTTP and WebSocket alike). */
export class ApiKeys {
  private readonly byKey: Map<string, ApiKey>;

  constructor(keys: readonly ApiKey[]) {
    this.byKey = new Map(keys.map((k) => [k.key, k]));
  }

  /** `Bearer <key>` -> the key's caller; UNAUTHENTICATED when it is missing, malformed or unknown. */
  authenticate(authorization: unknown): ApiKey {
    const match = typeof authorization === 'string' ? /^Bearer\s+(\S+)$/i.exec(authorization) : null;
    if (!match) throw new ApiError('UNAUTHENTICATED', 'send Authorization: Bearer <api key>');
    const caller = this.byKey.get(match[1]);
    if (!caller) throw new ApiError('UNAUTHENTICATED', 'unknown API key');
    return caller;
  }
}
