import { plainToInstance, Transform } from 'class-transformer';
import { ConfigurationError } from './configuration-error';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  validateSync,
  ValidateBy,
  ValidateIf,
} from 'class-validator';
import { validateCronExpression } from 'cron';
import { IfPresent } from '../http/if-present';
import { CURRENT_PROTOCOL_VERSION, PROTOCOL_VERSION_LIST, protocolVersionPolicy } from '../protocol/protocol-version';

const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
/** A cron expression the scheduler accepts (5 or 6 fields, or an alias like @hourly). */
const IsCron = (message: string) =>
  ValidateBy(
    {
      name: 'isCron',
      validator: { validate: (v: unknown) => typeof v === 'string' && validateCronExpression(v).valid },
    },
    { message },
  );
const toBool = ({ value }: { value: unknown }) =>
  value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value;

/** JWS algorithms a prover's JWT may use: asymmetric ones only (a JWKS publishes public keys). */
export const JWT_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

/** Whether JWTs are accepted: a JWKS source is configured. */
export function jwtConfigured(env: Pick<TallyEnv, 'AUTH_JWKS_URL' | 'AUTH_JWKS_FILE'>): boolean {
  return env.AUTH_JWKS_URL !== undefined || env.AUTH_JWKS_FILE !== undefined;
}

/** A JWKS is fetched over https; plain http only from this host (a sidecar, a test). */
function isJwksUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}

/** SCORE_IDLE_AFTER_MS unless set: 1 hour. */
export const DEFAULT_SCORE_IDLE_AFTER_MS = 3_600_000;

/**
 * The service's environment, validated at start: a wrong value stops the process with a
 * message naming the variable. Defaults live here and in `.env.example`.
 */
export class TallyEnv {
  @IfPresent()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IfPresent()
  @IsString()
  HOST = '0.0.0.0';

  /** Postgres server URL; without it an embedded PGlite database is used. */
  @IfPresent()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL?: string;

  @IfPresent()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(200)
  DATABASE_POOL_SIZE = 20;

  /**
   * How a pooler between Tally and Postgres hands out server connections: `session` (none,
   * or PgBouncer pool_mode=session: one server connection per client connection) or
   * `transaction` (PgBouncer pool_mode=transaction: a server connection per transaction, so
   * no named prepared statements and no session state are used).
   */
  @IfPresent()
  @IsIn(['session', 'transaction'], { message: 'DATABASE_POOL_MODE must be session or transaction' })
  DATABASE_POOL_MODE: 'session' | 'transaction' = 'session';

  /** Attempts at the first connection to DATABASE_URL, 3 s apart, before start-up gives up. */
  @IfPresent()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  DATABASE_CONNECT_ATTEMPTS = 10;

  /** Where the embedded database keeps its files. */
  @IfPresent()
  @IsString()
  TALLY_DATA_DIR = './data';

  /** An admin key ensured at start (at least 24 characters). */
  @IfPresent()
  @IsString()
  @MinLength(24)
  TALLY_ADMIN_KEY?: string;

  /** Requests per key (or per IP without a key) in each rate-limit window. */
  @IfPresent()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  RATE_LIMIT_MAX = 6000;

  @IfPresent()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3600)
  RATE_LIMIT_WINDOW_SECONDS = 60;

  /** JWKS of the identity provider whose JWTs authenticate provers (https; http only to a loopback host). */
  @IfPresent()
  @ValidateBy(
    { name: 'isJwksUrl', validator: { validate: (v: unknown) => typeof v === 'string' && isJwksUrl(v) } },
    { message: 'AUTH_JWKS_URL must be an https:// URL (http:// only to localhost or a loopback address)' },
  )
  AUTH_JWKS_URL?: string;

  /** A JWKS file, instead of AUTH_JWKS_URL: re-read after the cache TTL, or at once for an unknown kid. */
  @IfPresent()
  @IsString()
  @ValidateBy(
    {
      name: 'oneJwksSource',
      validator: { validate: (_v: unknown, args) => !(args?.object as TallyEnv).AUTH_JWKS_URL },
    },
    { message: 'set AUTH_JWKS_URL or AUTH_JWKS_FILE, not both' },
  )
  AUTH_JWKS_FILE?: string;

  /** The `iss` a JWT must carry; required with a JWKS. */
  @ValidateIf((env: TallyEnv, value: unknown) => value !== undefined || jwtConfigured(env))
  @IsString({ message: 'AUTH_JWT_ISSUER is required with AUTH_JWKS_URL or AUTH_JWKS_FILE' })
  @ValidateBy(
    { name: 'needsJwks', validator: { validate: (_v: unknown, args) => jwtConfigured(args?.object as TallyEnv) } },
    { message: 'AUTH_JWT_ISSUER needs AUTH_JWKS_URL or AUTH_JWKS_FILE' },
  )
  AUTH_JWT_ISSUER?: string;

  /** The audience (or comma-separated audiences) a JWT's `aud` must name; required with a JWKS. */
  @ValidateIf((env: TallyEnv, value: unknown) => value !== undefined || jwtConfigured(env))
  @IsString({ message: 'AUTH_JWT_AUDIENCE is required with AUTH_JWKS_URL or AUTH_JWKS_FILE' })
  @Matches(/^[^,\s]+(,[^,\s]+)*$/, { message: 'AUTH_JWT_AUDIENCE must be one audience or a comma-separated list' })
  @ValidateBy(
    { name: 'needsJwks', validator: { validate: (_v: unknown, args) => jwtConfigured(args?.object as TallyEnv) } },
    { message: 'AUTH_JWT_AUDIENCE needs AUTH_JWKS_URL or AUTH_JWKS_FILE' },
  )
  AUTH_JWT_AUDIENCE?: string;

  /** The JWS algorithms a JWT may be signed with (comma-separated; asymmetric only). */
  @IfPresent()
  @ValidateBy(
    {
      name: 'isJwtAlgorithms',
      validator: {
        validate: (v: unknown) =>
          typeof v === 'string' && v.split(',').every((alg) => (JWT_ALGORITHMS as readonly string[]).includes(alg)),
      },
    },
    { message: `AUTH_JWT_ALGORITHMS must be a comma-separated list of ${JWT_ALGORITHMS.join(', ')}` },
  )
  AUTH_JWT_ALGORITHMS = 'RS256,PS256,ES256,EdDSA';

  /** The claim holding the caller's role; only `prover` is admitted (see docs/operations.md). */
  @IfPresent()
  @Matches(/^\S+$/, { message: 'AUTH_JWT_ROLE_CLAIM must be a claim name' })
  AUTH_JWT_ROLE_CLAIM = 'role';

  /** Seconds of clock difference allowed on `exp`, `nbf` and `iat`. */
  @IfPresent()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(300)
  AUTH_JWT_CLOCK_TOLERANCE_SECONDS = 30;

  /** When set, a JWT must carry `iat` and be at most this old (seconds), whatever its `exp`. */
  @IfPresent()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(31 * 86400)
  AUTH_JWT_MAX_TOKEN_AGE_SECONDS?: number;

  /** The JWKS is fetched again once it is older than this (seconds): the longest a removed kid keeps verifying. */
  @IfPresent()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(86400)
  AUTH_JWKS_CACHE_TTL_SECONDS = 300;

  /** The least time (seconds) between two fetches of the JWKS, after a success or a failure. */
  @IfPresent()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(3600)
  @ValidateBy(
    {
      name: 'notAboveTtl',
      validator: {
        validate: (v: unknown, args) =>
          typeof v === 'number' && v <= (args?.object as TallyEnv).AUTH_JWKS_CACHE_TTL_SECONDS,
      },
    },
    { message: 'AUTH_JWKS_COOLDOWN_SECONDS must not exceed AUTH_JWKS_CACHE_TTL_SECONDS' },
  )
  AUTH_JWKS_COOLDOWN_SECONDS = 10;

  /** How long (ms) a JWKS fetch may take before it counts as failed. */
  @IfPresent()
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(60000)
  AUTH_JWKS_TIMEOUT_MS = 5000;

  @IfPresent()
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  /**
   * The protocol major versions served, comma-separated; the highest is the current one,
   * served to requests that name none (docs/api.md, "Protocol versions").
   */
  @IfPresent()
  @Matches(PROTOCOL_VERSION_LIST, { message: 'PROTOCOL_VERSIONS must be major versions separated by commas, like 1,2' })
  PROTOCOL_VERSIONS = CURRENT_PROTOCOL_VERSION;

  /** Served versions that are deprecated: still answered, with a Deprecation header, a logged warning and a metric. */
  @IfPresent()
  @Matches(PROTOCOL_VERSION_LIST, {
    message: 'PROTOCOL_DEPRECATED_VERSIONS must be major versions separated by commas, like 1',
  })
  PROTOCOL_DEPRECATED_VERSIONS?: string;

  /** Milliseconds to wait for in-flight requests on SIGTERM. */
  @IfPresent()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(120000)
  SHUTDOWN_GRACE_MS = 10000;

  /**
   * Processes serving the API: 1 is this process alone; more, it forks that many workers that
   * share the port (Node's cluster module), each a replica with its own pool. Needs a server
   * database (the embedded one belongs to one process).
   */
  @IfPresent()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(64)
  WEB_CONCURRENCY = 1;

  /** The platform's fee on a job's final cost, in basis points (1000 = 10%); the rest rewards provers. */
  @IfPresent()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(10000)
  PLATFORM_FEE_BPS = 1000;

  /** How often (ms) a long poll re-checks the database besides waking on JobAssigned events. */
  @IfPresent()
  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(5000)
  PROVER_POLL_RECHECK_MS = 100;

  /** How often (ms) the live event streams (GET /v1/events/stream) read the outbox: one query for all streams. */
  @IfPresent()
  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(5000)
  SSE_POLL_MS = 250;

  /** Seconds between heartbeat comments on an idle event stream (so proxies keep it open). */
  @IfPresent()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(300)
  SSE_HEARTBEAT_SECONDS = 15;

  /** Seconds between checks that an event stream's key is still valid (a revoked key ends its streams). */
  @IfPresent()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3600)
  SSE_KEY_RECHECK_SECONDS = 30;

  /**
   * Seconds an unstaked amount stays locked (unbonding, no longer bonded) before the sweep
   * releases it into the prover's provider account: 0 to 1 year, 7 days by default.
   */
  @IfPresent()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(365 * 24 * 3600)
  STAKE_UNBONDING_SECONDS = 604800;

  /**
   * Seconds a completed job's rewards stay pending (held for its provers), open to its
   * client's dispute, for jobs whose service sets no window of its own: 0 (the default) pays
   * them at settlement, with no dispute; at most 90 days.
   */
  @IfPresent()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(7_776_000)
  DISPUTE_WINDOW_SECONDS = 0;

  /** The EMA weight of the newest outcome, a decimal in (0, 1]. */
  @IfPresent()
  @Matches(/^(0\.(?=\d*[1-9])\d{1,18}|1(\.0{1,18})?)$/, {
    message: 'SCORE_ALPHA must be a decimal in (0, 1], like 0.1',
  })
  SCORE_ALPHA = '0.1';

  /** Idle scores decay toward 50 with this half-life (ms); 0 turns decay off. See SCORE_IDLE_AFTER_MS. */
  @IfPresent()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  SCORE_DECAY_HALF_LIFE_MS = 86400000;

  /**
   * A prover scored within this long (ms) is active: its score follows the EMA law exactly.
   * Past it the prover is idle and its score decays, the half-life counting from the moment
   * it became idle (last scored + this). 0: decay from the last score itself.
   */
  @IfPresent()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  SCORE_IDLE_AFTER_MS = DEFAULT_SCORE_IDLE_AFTER_MS;

  /** Optimistic-lock retries of one score update before DSE-005 (the update is queued for redelivery). */
  @IfPresent()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(1000)
  SCORECARD_MAX_RETRIES = 10;

  /** A prover whose last heartbeat is older than this is not live: never chosen, and the timeout sweep marks it offline. */
  @IfPresent()
  @Transform(toInt)
  @IsInt()
  @Min(50)
  @Max(3_600_000)
  PROVER_LIVENESS_TTL_MS = 15000;

  /**
   * A replica a prover's heartbeat leaves out of its running_jobs is given back to its next
   * poll once it started more than this long ago (ms): a younger start may still be on its
   * way to the prover in a poll's answer. Unset: PROVER_LIVENESS_TTL_MS (see validateEnv).
   */
  @IfPresent()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  PROVER_START_ACK_GRACE_MS!: number;

  /** Whether this process runs the scheduler's ticks (assignment and timeouts); false makes an API-only replica. */
  @IfPresent()
  @Transform(toBool)
  @IsBoolean({ message: 'SCHEDULER_ENABLED must be true or false' })
  SCHEDULER_ENABLED = true;

  /** Whether this process serves the gRPC Control API (proto/tally/dse/v1) beside REST. */
  @IfPresent()
  @Transform(toBool)
  @IsBoolean({ message: 'GRPC_ENABLED must be true or false' })
  GRPC_ENABLED = true;

  /** The gRPC port; 0 takes any free port (tests read the one bound). */
  @IfPresent()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  GRPC_PORT = 50051;

  /**
   * The gRPC bind address with TLS (unset: 0.0.0.0); without TLS the server binds loopback
   * only (a loopback GRPC_HOST is kept, any other is ignored, and the start line says so).
   */
  @IfPresent()
  @IsString()
  GRPC_HOST?: string;

  /** Milliseconds between assignment ticks (PUT /v1/scheduler/config tick_interval_ms overrides it). */
  @IfPresent()
  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(60000)
  SCHEDULER_TICK_MS = 250;

  /** Pending jobs claimed per query in an assignment tick. */
  @IfPresent()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(5000)
  SCHEDULER_BATCH_SIZE = 200;

  /** Milliseconds between timeout sweeps (offline provers, wall-clock TTL). */
  @IfPresent()
  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(60000)
  SCHEDULER_SWEEP_MS = 1000;

  /** Attempts a job gets (runs lost to offline provers) before it fails with a full refund. */
  @IfPresent()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  SCHEDULER_MAX_ATTEMPTS = 3;

  /** An ASSIGNED or RUNNING job older than this (since assigned) fails with a full refund. */
  @IfPresent()
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(7 * 24 * 3_600_000)
  JOB_WALL_CLOCK_TTL_MS = 600000;

  /** Ed25519 seed (32 bytes, hex) that signs receipts and settlement batches. Without it, embedded mode generates one. */
  @IfPresent()
  @Matches(/^[0-9a-fA-F]{64}$/, {
    message: 'RECEIPT_SIGNING_KEY_HEX must be 64 hex characters (a 32-byte Ed25519 seed)',
  })
  RECEIPT_SIGNING_KEY_HEX?: string;

  /** Optional Ed25519 seed (hex) of a second, attesting key: adds an attestation signature to every receipt. */
  @IfPresent()
  @Matches(/^[0-9a-fA-F]{64}$/, {
    message: 'RECEIPT_ATTESTATION_KEY_HEX must be 64 hex characters (a 32-byte Ed25519 seed)',
  })
  RECEIPT_ATTESTATION_KEY_HEX?: string;

  /**
   * The receipt signer set: JSON, or the path of a JSON file, listing each signer (one per
   * Tally replica) and every public key it ever signed with: [{"signer_id": "a",
   * "public_keys": ["<64 hex>", ...]}, ...]. Unset: one signer (every published key), k = 1.
   */
  @IfPresent()
  @IsString()
  RECEIPT_SIGNER_SET?: string;

  /** k: how many distinct signers of RECEIPT_SIGNER_SET make a receipt final (default: a majority). */
  @IfPresent()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(64)
  RECEIPT_QUORUM?: number;

  /** Milliseconds between countersigning sweeps (with RECEIPT_SIGNER_SET). */
  @IfPresent()
  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(3_600_000)
  RECEIPT_COUNTERSIGN_MS = 1000;

  /** Cron expression of the periodic settlement seal (a batch is sealed only when there are new transfers). */
  @IfPresent()
  @IsCron('SETTLEMENT_SEAL_CRON must be a cron expression, like 0 * * * * * (every minute)')
  SETTLEMENT_SEAL_CRON = '0 * * * * *';

  /** Whether this process runs the periodic seal and sink deliveries. */
  @IfPresent()
  @Transform(toBool)
  @IsBoolean({ message: 'SETTLEMENT_ENABLED must be true or false' })
  SETTLEMENT_ENABLED = true;

  /** Webhook sink: sealed batches are POSTed here as JSON (unset: no webhook sink). */
  @IfPresent()
  @Matches(/^https?:\/\/\S+$/, { message: 'SETTLEMENT_WEBHOOK_URL must be an http(s) URL' })
  SETTLEMENT_WEBHOOK_URL?: string;

  /** HMAC-SHA256 secret for the webhook sink's signature header. */
  @IfPresent()
  @IsString()
  @MinLength(16)
  SETTLEMENT_WEBHOOK_SECRET?: string;

  /** File sink: one JSON file per sealed batch in this directory (unset: no file sink). */
  @IfPresent()
  @IsString()
  SETTLEMENT_FILE_DIR?: string;

  /** Secondary sink (a webhook, or files): takes what the primary lacks while the chain is Degraded. */
  @IfPresent()
  @Matches(/^https?:\/\/\S+$/, { message: 'SETTLEMENT_SECONDARY_WEBHOOK_URL must be an http(s) URL' })
  SETTLEMENT_SECONDARY_WEBHOOK_URL?: string;

  /** HMAC-SHA256 secret of the secondary webhook (unset: SETTLEMENT_WEBHOOK_SECRET). */
  @IfPresent()
  @IsString()
  @MinLength(16)
  SETTLEMENT_SECONDARY_WEBHOOK_SECRET?: string;

  @IfPresent()
  @IsString()
  SETTLEMENT_SECONDARY_FILE_DIR?: string;

  /** Emergency sink (a webhook, or files): takes what the primary lacks while the chain is in Emergency. */
  @IfPresent()
  @Matches(/^https?:\/\/\S+$/, { message: 'SETTLEMENT_EMERGENCY_WEBHOOK_URL must be an http(s) URL' })
  SETTLEMENT_EMERGENCY_WEBHOOK_URL?: string;

  /** HMAC-SHA256 secret of the emergency webhook (unset: SETTLEMENT_WEBHOOK_SECRET). */
  @IfPresent()
  @IsString()
  @MinLength(16)
  SETTLEMENT_EMERGENCY_WEBHOOK_SECRET?: string;

  @IfPresent()
  @IsString()
  SETTLEMENT_EMERGENCY_FILE_DIR?: string;

  /** N: consecutive failed deliveries after which the chain fails a sink over to the next. */
  @IfPresent()
  @Transform(toInt)
  @IsInt({ message: 'SETTLEMENT_FAILOVER_FAILURES must be an integer from 1 to 1000' })
  @Min(1, { message: 'SETTLEMENT_FAILOVER_FAILURES must be an integer from 1 to 1000' })
  @Max(1000, { message: 'SETTLEMENT_FAILOVER_FAILURES must be an integer from 1 to 1000' })
  SETTLEMENT_FAILOVER_FAILURES = 3;

  /** M: consecutive successful deliveries to the primary that end a recovery. */
  @IfPresent()
  @Transform(toInt)
  @IsInt({ message: 'SETTLEMENT_RECOVERY_SUCCESSES must be an integer from 1 to 1000' })
  @Min(1, { message: 'SETTLEMENT_RECOVERY_SUCCESSES must be an integer from 1 to 1000' })
  @Max(1000, { message: 'SETTLEMENT_RECOVERY_SUCCESSES must be an integer from 1 to 1000' })
  SETTLEMENT_RECOVERY_SUCCESSES = 2;

  /** First retry delay (ms) of a failed sink delivery; doubles per attempt up to SETTLEMENT_RETRY_MAX_MS. */
  @IfPresent()
  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(3_600_000)
  SETTLEMENT_RETRY_BASE_MS = 1000;

  @IfPresent()
  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(24 * 3_600_000)
  SETTLEMENT_RETRY_MAX_MS = 300000;

  /** Whether this process sends webhook deliveries (every process enqueues them). */
  @IfPresent()
  @Transform(toBool)
  @IsBoolean({ message: 'WEBHOOKS_ENABLED must be true or false' })
  WEBHOOKS_ENABLED = true;

  /** Whether webhook URLs may point at loopback, private or link-local addresses (off in production). */
  @IfPresent()
  @Transform(toBool)
  @IsBoolean({ message: 'WEBHOOKS_ALLOW_PRIVATE_URLS must be true or false' })
  WEBHOOKS_ALLOW_PRIVATE_URLS = false;

  /** First retry delay (ms) of a failed webhook delivery; doubles per attempt (with jitter) up to an hour, for 24 h. */
  @IfPresent()
  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(3_600_000)
  WEBHOOKS_RETRY_BASE_MS = 1000;

  /** How long (ms) a webhook receiver has to answer before the attempt counts as failed. */
  @IfPresent()
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(60_000)
  WEBHOOKS_TIMEOUT_MS = 5000;

  /** gRPC server certificate (PEM file, may hold its chain); with GRPC_TLS_KEY the gRPC port speaks TLS 1.3 only. */
  @IfPresent()
  @IsString()
  GRPC_TLS_CERT?: string;

  /** The private key (unencrypted PEM file) of GRPC_TLS_CERT. */
  @IfPresent()
  @IsString()
  GRPC_TLS_KEY?: string;

  /** CA certificates (PEM file): client certificates signed by one of them are required (mTLS). */
  @IfPresent()
  @IsString()
  GRPC_TLS_CLIENT_CA?: string;

  /** CRLs (PEM file) of the GRPC_TLS_CLIENT_CA authorities: a revoked client certificate is refused. */
  @IfPresent()
  @IsString()
  GRPC_TLS_CLIENT_CRL?: string;

  /**
   * Which client certificates have which role: comma-separated ATTRIBUTE=VALUE:role entries
   * (CN, OU or O; scheduler, persistor or prover). Unset: the subject's OU names the role.
   * Checked when the gRPC server starts.
   */
  @IfPresent()
  @IsString()
  GRPC_TLS_ROLE_MAP?: string;

  /** NATS server(s) of the event broker, comma-separated (nats://host:port). Unset: no broker, nothing is published. */
  @IfPresent()
  @Matches(/^(nats|tls):\/\/[^\s,]+(,(nats|tls):\/\/[^\s,]+)*$/, {
    message: 'EVENTS_NATS_URL must be nats://host:port (comma-separated for several servers)',
  })
  EVENTS_NATS_URL?: string;

  /** The JetStream stream every event goes to (created or updated at start). */
  @IfPresent()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'EVENTS_STREAM must be 1-64 letters, digits, _ or -' })
  EVENTS_STREAM = 'TALLY_EVENTS';

  /** The first token of every subject (the stream takes `<prefix>.>`). */
  @IfPresent()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'EVENTS_SUBJECT_PREFIX must be 1-64 letters, digits, _ or -' })
  EVENTS_SUBJECT_PREFIX = 'tally';

  /** How long the stream keeps a message (ms; 0: no limit). Default 7 days. */
  @IfPresent()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(3650 * 24 * 3_600_000)
  EVENTS_MAX_AGE_MS = 7 * 24 * 3_600_000;

  /** The most bytes the stream keeps, the oldest dropped first (-1: no limit). */
  @IfPresent()
  @Transform(toInt)
  @IsInt()
  @Min(-1)
  EVENTS_MAX_BYTES = -1;

  /** JetStream's duplicate window (ms): a message with a Nats-Msg-Id seen within it is dropped. */
  @IfPresent()
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(7 * 24 * 3_600_000)
  EVENTS_DUPLICATE_WINDOW_MS = 120_000;

  /** How long a publish waits for the broker's ack before it counts as failed (ms). */
  @IfPresent()
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(60_000)
  EVENTS_PUBLISH_TIMEOUT_MS = 2000;

  /** Failed attempts after which an event shows as DSE-006 on GET /v1/events/status (it is still retried). */
  @IfPresent()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  EVENTS_RETRY_BUDGET = 10;

  /** Tally's broker consumers: a message not acked this long after delivery (a consumer died) is delivered again (ms). */
  @IfPresent()
  @Transform(toInt)
  @IsInt()
  @Min(500)
  @Max(3_600_000)
  EVENTS_ACK_WAIT_MS = 30_000;

  /** Where the scorecard persistor reads updates from: the in-process bus, or the broker (needs EVENTS_NATS_URL). */
  @IfPresent()
  @IsIn(['inprocess', 'broker'], { message: 'SCORECARD_CONSUMER must be inprocess or broker' })
  SCORECARD_CONSUMER: 'inprocess' | 'broker' = 'inprocess';

  /** Where the audit recorder reads audit entries from: the in-process bus, or the broker (needs EVENTS_NATS_URL). */
  @IfPresent()
  @IsIn(['inprocess', 'broker'], { message: 'AUDIT_CONSUMER must be inprocess or broker' })
  AUDIT_CONSUMER: 'inprocess' | 'broker' = 'inprocess';
}

export class InvalidEnvironmentError extends ConfigurationError {}

/** How to fix a wrong variable: where each is described. */
const FIX_HINT = 'Fix these variables (the environment or .env; README.md#configuration lists each) and start again.';

/** Validates an environment; throws a readable error listing every wrong variable. */
/**
 * The settlement sink chain's cross-field rules: a tier is a webhook or a directory, not
 * both (except the primary's pre-chain pair, which makes the directory the emergency
 * tier), a webhook has a secret, and a fallback tier needs a primary.
 */
function settlementChainProblem(env: TallyEnv): string | null {
  const secret = (own: string | undefined) => own ?? env.SETTLEMENT_WEBHOOK_SECRET;
  if (env.SETTLEMENT_WEBHOOK_URL && !env.SETTLEMENT_WEBHOOK_SECRET) {
    return 'SETTLEMENT_WEBHOOK_SECRET: SETTLEMENT_WEBHOOK_URL needs a secret (at least 16 characters) to sign with';
  }
  for (const tier of ['SECONDARY', 'EMERGENCY'] as const) {
    const url = env[`SETTLEMENT_${tier}_WEBHOOK_URL`];
    const dir = env[`SETTLEMENT_${tier}_FILE_DIR`];
    if (url && dir) return `SETTLEMENT_${tier}_FILE_DIR: a tier is a webhook or a directory, not both`;
    if (url && !secret(env[`SETTLEMENT_${tier}_WEBHOOK_SECRET`])) {
      return `SETTLEMENT_${tier}_WEBHOOK_SECRET: SETTLEMENT_${tier}_WEBHOOK_URL needs a secret (its own or SETTLEMENT_WEBHOOK_SECRET)`;
    }
    if ((url || dir) && !env.SETTLEMENT_WEBHOOK_URL && !env.SETTLEMENT_FILE_DIR) {
      return `SETTLEMENT_${tier}_${url ? 'WEBHOOK_URL' : 'FILE_DIR'}: a fallback sink needs a primary (SETTLEMENT_WEBHOOK_URL or SETTLEMENT_FILE_DIR)`;
    }
  }
  const emergency = env.SETTLEMENT_EMERGENCY_WEBHOOK_URL ?? env.SETTLEMENT_EMERGENCY_FILE_DIR;
  if (env.SETTLEMENT_WEBHOOK_URL && env.SETTLEMENT_FILE_DIR && emergency) {
    return 'SETTLEMENT_FILE_DIR: with SETTLEMENT_WEBHOOK_URL it is the emergency sink, and SETTLEMENT_EMERGENCY_* names another';
  }
  return null;
}

export function validateEnv(raw: Record<string, unknown>): TallyEnv {
  const cleaned = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined && v !== ''));
  const env = plainToInstance(TallyEnv, cleaned, { exposeDefaultValues: true });
  const errors = validateSync(env, { skipMissingProperties: false });
  if (errors.length > 0) {
    const lines = errors.map((e) => `  ${e.property}: ${Object.values(e.constraints ?? {}).join('; ')}`);
    throw new InvalidEnvironmentError(`Invalid environment:\n${lines.join('\n')}\n${FIX_HINT}`);
  }
  try {
    protocolVersionPolicy(env);
  } catch (error) {
    throw new InvalidEnvironmentError(
      `Invalid environment:\n  PROTOCOL_DEPRECATED_VERSIONS: ${(error as Error).message}`,
    );
  }
  for (const name of ['SCORECARD_CONSUMER', 'AUDIT_CONSUMER'] as const) {
    if (env[name] === 'broker' && env.EVENTS_NATS_URL === undefined) {
      throw new InvalidEnvironmentError(`Invalid environment:\n  ${name}: broker needs EVENTS_NATS_URL`);
    }
  }
  if (env.WEB_CONCURRENCY > 1 && env.DATABASE_URL === undefined) {
    throw new InvalidEnvironmentError(
      'Invalid environment:\n  WEB_CONCURRENCY: more than one process needs DATABASE_URL (the embedded database belongs to one process)',
    );
  }
  const sinkProblem = settlementChainProblem(env);
  if (sinkProblem) throw new InvalidEnvironmentError(`Invalid environment:\n  ${sinkProblem}`);
  if (env.RECEIPT_QUORUM !== undefined && env.RECEIPT_SIGNER_SET === undefined) {
    throw new InvalidEnvironmentError(
      'Invalid environment:\n  RECEIPT_QUORUM: needs RECEIPT_SIGNER_SET (the signers k counts among); set both or neither',
    );
  }
  // A heartbeat's view is as old as the liveness rule lets one be and still count: a start
  // that old, still unlisted, is lost and not on its way.
  env.PROVER_START_ACK_GRACE_MS ??= env.PROVER_LIVENESS_TTL_MS;
  return env;
}
