import { plainToInstance, Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength, validateSync } from 'class-validator';

const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;

/**
 * The service's environment, validated at start: a wrong value stops the process with a
 * message naming the variable. Defaults live here and in `.env.example`.
 */
export class TallyEnv {
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsOptional()
  @IsString()
  HOST = '0.0.0.0';

  /** Postgres server URL; without it an embedded PGlite database is used. */
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL?: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(200)
  DATABASE_POOL_SIZE = 20;

  /** Where the embedded database keeps its files. */
  @IsOptional()
  @IsString()
  TALLY_DATA_DIR = './data';

  /** An admin key ensured at start (at least 24 characters). */
  @IsOptional()
  @IsString()
  @MinLength(24)
  TALLY_ADMIN_KEY?: string;

  /** Requests per key (or per IP without a key) in each rate-limit window. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  RATE_LIMIT_MAX = 6000;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3600)
  RATE_LIMIT_WINDOW_SECONDS = 60;

  @IsOptional()
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  /** Milliseconds to wait for in-flight requests on SIGTERM. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(120000)
  SHUTDOWN_GRACE_MS = 10000;

  /** The platform's fee on a job's final cost, in basis points (1000 = 10%); the rest rewards provers. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(10000)
  PLATFORM_FEE_BPS = 1000;
}

export class InvalidEnvironmentError extends Error {}

/** Validates an environment; throws a readable error listing every wrong variable. */
export function validateEnv(raw: Record<string, unknown>): TallyEnv {
  const cleaned = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined && v !== ''));
  const env = plainToInstance(TallyEnv, cleaned, { exposeDefaultValues: true });
  const errors = validateSync(env, { skipMissingProperties: false });
  if (errors.length > 0) {
    const lines = errors.map((e) => `  ${e.property}: ${Object.values(e.constraints ?? {}).join('; ')}`);
    throw new InvalidEnvironmentError(`Invalid environment:\n${lines.join('\n')}`);
  }
  return env;
}
