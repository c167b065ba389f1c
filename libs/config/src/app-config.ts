import { WEBHOOK_RETRY_DEFAULTS } from '@app/domain';
import * as path from 'node:path';

export type Role = 'INTEGRATOR' | 'MANAGER' | 'AGENT';
export const ROLES: readonly Role[] = ['INTEGRATOR', 'MANAGER', 'AGENT'];

export interface ApiKey {
  key: string;
  role: Role;
  /** who the key stands for in events' metadata (`apikey:<name>`) and, for agents, their agent id */
  name: string;
}

/** The three development keys of the embedded default, one per role (documented in the README). */
export const DEVELOPMENT_API_KEYS: readonly ApiKey[] = [
  { key: 'dev-integrator-key', role: 'INTEGRATOR', name: 'dev-integrator' },
  { key: 'dev-manager-key', role: 'MANAGER', name: 'dev-manager' },
  { key: 'dev-agent-key', role: 'AGENT', name: 'dev-agent' },
];

/**
 * All configuration, read and validated once. Nothing else in the product reads process.env.
 * The variables are the contract's (docs/contract.md, "Configuration variables") plus operational ones,
 * all in the README's configuration table (docs-contract.unit.spec.ts checks both).
 */
export class AppConfig {
  readonly port: number;
  /** the worker's own GET /health (what it leads, what it waits for); unset: none */
  readonly workerHealthPort?: number;
  readonly dataDir: string;
  readonly apiKeys: readonly ApiKey[];
  readonly eventStoreConnectionString?: string;
  /** PostgreSQL for the read models (a postgres:// URL); unset: the SQLite file in DATA_DIR */
  readonly databaseUrl?: string;
  /** unset: the start script runs the embedded Temporal dev server and passes its address here */
  readonly temporalAddress: string;
  readonly temporalNamespace: string;
  readonly taskQueue: string;
  /**
   * Worker failover (README, "Operations"): how long a workflow task waits on the sticky queue of the
   * worker that last ran the workflow before any worker may take it, and how long a started workflow
   * task may take before Temporal gives it to another worker (set on the workflows the worker starts).
   */
  readonly temporalStickyQueueTimeoutMs: number;
  readonly temporalWorkflowTaskTimeoutMs: number;
  /** NORMAL survives a crash of the process (kill -9); FULL also survives power loss, at ~1/8 the append rate */
  readonly sqliteSynchronous: 'NORMAL' | 'FULL';
  /** how long a mutation waits for the read model to reach its own change (read-your-writes) */
  readonly readYourWritesTimeoutMs: number;
  /** Outbound contacts and manager webhooks (libs/outbound). Unset URLs: those sends end as NO_GATEWAY. */
  readonly outbound: OutboundConfig;
  /** Delays of a resolved call's aftercare (workflows/src/aftercare), ISO 8601 durations. */
  readonly aftercare: AftercareConfig;

  constructor(env: Record<string, string | undefined> = process.env) {
    this.port = intVar(env, 'PORT', 3000);
    if (env.WORKER_HEALTH_PORT) this.workerHealthPort = intVar(env, 'WORKER_HEALTH_PORT', 0);
    this.dataDir = path.resolve(env.DATA_DIR || './data');
    this.eventStoreConnectionString = env.EVENTSTORE_CONNECTION_STRING || undefined;
    this.databaseUrl = env.DATABASE_URL || undefined;
    if (this.databaseUrl && !/^postgres(ql)?:\/\//i.test(this.databaseUrl)) throw new Error('DATABASE_URL must be a PostgreSQL URL (postgres://user:password@host:5432/database)');
    this.temporalAddress = env.TEMPORAL_ADDRESS || 'localhost:7233';
    this.temporalNamespace = env.TEMPORAL_NAMESPACE || 'default';
    this.taskQueue = env.TEMPORAL_TASK_QUEUE || 'service-calls';
    this.temporalStickyQueueTimeoutMs = positiveIntVar(env, 'TEMPORAL_STICKY_QUEUE_TIMEOUT_MS', 1000);
    this.temporalWorkflowTaskTimeoutMs = positiveIntVar(env, 'TEMPORAL_WORKFLOW_TASK_TIMEOUT_MS', 3000);
    const sync = (env.SQLITE_SYNCHRONOUS || 'NORMAL').toUpperCase();
    if (sync !== 'NORMAL' && sync !== 'FULL') throw new Error('SQLITE_SYNCHRONOUS must be NORMAL or FULL');
    this.sqliteSynchronous = sync;
    this.readYourWritesTimeoutMs = intVar(env, 'READ_YOUR_WRITES_TIMEOUT_MS', 5000);
    this.outbound = parseOutboundConfig(env);
    this.aftercare = {
      followUpAfter: durationVar(env, 'FOLLOW_UP_AFTER', 'P2D'),
      followUpAnswerTimeout: durationVar(env, 'FOLLOW_UP_ANSWER_TIMEOUT', 'P7D'),
      retentionCheckInAfter: durationVar(env, 'RETENTION_CHECK_IN_AFTER', 'P30D'),
    };
    const embedded = !this.eventStoreConnectionString;
    if (env.API_KEYS) this.apiKeys = parseApiKeys(env.API_KEYS);
    else if (embedded) this.apiKeys = DEVELOPMENT_API_KEYS;
    else throw new Error('API_KEYS must be set when EVENTSTORE_CONNECTION_STRING is set (development keys are for the embedded mode only)');
  }

  get eventStorePath(): string {
    return path.join(this.dataDir, 'events.sqlite');
  }

  get readModelPath(): string {
    return path.join(this.dataDir, 'read-models.sqlite');
  }

  /** Where the read models (and the checkpoints) live: DATABASE_URL, or the SQLite file. */
  get readModelLocation(): string {
    return this.databaseUrl ?? this.readModelPath;
  }

  /** the ledger that makes every outbound send happen once per idempotency key */
  get outboundLedgerPath(): string {
    return path.join(this.dataDir, 'outbound.sqlite');
  }
}

export interface AftercareConfig {
  /** FOLLOW_UP_AFTER: from resolution to the follow-up contact; whole days count as business days of the call's SLA calendar */
  followUpAfter: string;
  /** FOLLOW_UP_ANSWER_TIMEOUT: how long the follow-up waits for feedback before the call is closed as unanswered */
  followUpAnswerTimeout: string;
  /** RETENTION_CHECK_IN_AFTER: from resolution to the retention check-in (calendar time) */
  retentionCheckInAfter: string;
}

// weeks, days, hours, minutes, seconds (no years or months: their length varies), as libs/domain's parseIsoDuration
const ISO_DURATION = /^P(?!$)(?:\d+(?:[.,]\d+)?W)?(?:\d+(?:[.,]\d+)?D)?(?:T(?!$)(?:\d+(?:[.,]\d+)?H)?(?:\d+(?:[.,]\d+)?M)?(?:\d+(?:[.,]\d+)?S)?)?$/;

function durationVar(env: Record<string, string | undefined>, name: string, fallback: string): string {
  const raw = env[name]?.trim().toUpperCase();
  if (!raw) return fallback;
  if (!ISO_DURATION.test(raw)) throw new Error(`${name} must be an ISO 8601 duration in weeks, days, hours, minutes or seconds (e.g. P2D, PT2S), got "${env[name]}"`);
  return raw;
}

export interface OutboundConfig {
  /** SMTP_URL, e.g. smtp://user:pass@host:587 (smtps:// for TLS from the start) */
  smtpUrl?: string;
  /** MAIL_FROM, the From of contact e-mails */
  mailFrom: string;
  /** SMS_PROVIDER_URL: the messaging provider's send endpoint for SMS and WhatsApp */
  smsProviderUrl?: string;
  smsProviderToken?: string;
  /** WEBHOOK_URL: where manager alerts are POSTed, signed with WEBHOOK_SECRET */
  webhookUrl?: string;
  webhookSecret?: string;
  /** WEBHOOK_MAX_ATTEMPTS: attempts per delivery before the activity fails and is retried by Temporal */
  webhookMaxAttempts: number;
  /** WEBHOOK_INITIAL_BACKOFF_MS: first wait between attempts, doubling (capped at 30 s) */
  webhookInitialBackoffMs: number;
  /** OUTBOUND_TIMEOUT_MS: per SMTP connection / HTTP request */
  timeoutMs: number;
}

function parseOutboundConfig(env: Record<string, string | undefined>): OutboundConfig {
  const smtpUrl = urlVar(env, 'SMTP_URL', ['smtp:', 'smtps:']);
  const smsProviderUrl = urlVar(env, 'SMS_PROVIDER_URL', ['http:', 'https:']);
  const webhookUrl = urlVar(env, 'WEBHOOK_URL', ['http:', 'https:']);
  const webhookSecret = env.WEBHOOK_SECRET || undefined;
  if (webhookUrl && !webhookSecret) throw new Error('WEBHOOK_SECRET must be set when WEBHOOK_URL is set');
  const webhookMaxAttempts = intVar(env, 'WEBHOOK_MAX_ATTEMPTS', WEBHOOK_RETRY_DEFAULTS.maxAttempts);
  if (webhookMaxAttempts < 1) throw new Error('WEBHOOK_MAX_ATTEMPTS must be at least 1');
  const mailFrom = env.MAIL_FROM || 'Customer Service <service@localhost>';
  if (!/@[^\s>]+/.test(mailFrom)) throw new Error(`MAIL_FROM must contain an e-mail address, got "${mailFrom}"`);
  return {
    smtpUrl,
    mailFrom,
    smsProviderUrl,
    smsProviderToken: env.SMS_PROVIDER_TOKEN || undefined,
    webhookUrl,
    webhookSecret,
    webhookMaxAttempts,
    webhookInitialBackoffMs: intVar(env, 'WEBHOOK_INITIAL_BACKOFF_MS', WEBHOOK_RETRY_DEFAULTS.initialBackoffMs),
    timeoutMs: intVar(env, 'OUTBOUND_TIMEOUT_MS', WEBHOOK_RETRY_DEFAULTS.timeoutMs),
  };
}

function urlVar(env: Record<string, string | undefined>, name: string, protocols: string[]): string | undefined {
  const raw = env[name];
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`${name} must be a URL`); // not echoed: it may hold a password
  }
  if (!protocols.includes(url.protocol)) throw new Error(`${name} must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
  return raw;
}

/** `key:ROLE` or `key:ROLE:name`, comma-separated. */
export function parseApiKeys(text: string): ApiKey[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry, index) => {
      const [key, role, name] = entry.split(':').map((part) => part.trim());
      if (!key || !role || !(ROLES as readonly string[]).includes(role)) {
        throw new Error(`API_KEYS entry ${index + 1} must be key:ROLE with ROLE one of ${ROLES.join(', ')}`);
      }
      return { key, role: role as Role, name: name || `${role.toLowerCase()}-${index + 1}` };
    });
}

function positiveIntVar(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const value = intVar(env, name, fallback);
  if (value === 0) throw new Error(`${name} must be a positive integer, got "${env[name]}"`);
  return value;
}

function intVar(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}
