import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { getMetadataStorage } from 'class-validator';
import { InvalidEnvironmentError, jwtConfigured, TallyEnv, validateEnv } from './tally-env';

function errorOf(raw: Record<string, unknown>): string {
  try {
    validateEnv(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEnvironmentError);
    return (error as Error).message;
  }
  throw new Error('expected validateEnv to throw');
}

describe('validateEnv', () => {
  it('applies the defaults to an empty environment', () => {
    const env = validateEnv({});
    expect(env).toBeInstanceOf(TallyEnv);
    expect(env).toMatchObject({
      PORT: 3000,
      HOST: '0.0.0.0',
      DATABASE_POOL_SIZE: 20,
      TALLY_DATA_DIR: './data',
      LOG_LEVEL: 'info',
      SHUTDOWN_GRACE_MS: 10000,
      WEB_CONCURRENCY: 1,
    });
    expect(env.DATABASE_URL).toBeUndefined();
  });

  it('parses numbers and keeps valid values', () => {
    const env = validateEnv({
      PORT: '8080',
      DATABASE_URL: 'postgresql://u:p@db:5432/tally',
      DATABASE_POOL_SIZE: '5',
      LOG_LEVEL: 'debug',
      TALLY_ADMIN_KEY: 'x'.repeat(24),
    });
    expect(env).toMatchObject({ PORT: 8080, DATABASE_POOL_SIZE: 5, LOG_LEVEL: 'debug' });
    expect(env.DATABASE_URL).toBe('postgresql://u:p@db:5432/tally');
  });

  it('treats an empty string as unset (DATABASE_URL= means embedded)', () => {
    const env = validateEnv({ DATABASE_URL: '', PORT: '' });
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.PORT).toBe(3000);
  });

  it('takes a broker consumer only with a broker configured', () => {
    expect(() => validateEnv({ SCORECARD_CONSUMER: 'broker' })).toThrow(
      /SCORECARD_CONSUMER: broker needs EVENTS_NATS_URL/,
    );
    expect(() => validateEnv({ AUDIT_CONSUMER: 'broker' })).toThrow(/AUDIT_CONSUMER: broker needs EVENTS_NATS_URL/);
    expect(() => validateEnv({ SCORECARD_CONSUMER: 'kafka', EVENTS_NATS_URL: 'nats://127.0.0.1:4222' })).toThrow(
      /SCORECARD_CONSUMER must be inprocess or broker/,
    );
    const env = validateEnv({ EVENTS_NATS_URL: 'nats://127.0.0.1:4222', AUDIT_CONSUMER: 'broker' });
    expect(env.AUDIT_CONSUMER).toBe('broker');
    expect(env.SCORECARD_CONSUMER).toBe('inprocess');
    expect(() => validateEnv({ EVENTS_NATS_URL: 'http://127.0.0.1:4222' })).toThrow(/EVENTS_NATS_URL/);
  });

  it('ignores variables it does not know', () => {
    expect(() => validateEnv({ PATH: '/usr/bin', HOME: '/root' })).not.toThrow();
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '65536'],
    ['PORT', '3000.5'],
    ['DATABASE_URL', 'mysql://x'],
    ['DATABASE_URL', 'postgres://'],
    ['DATABASE_POOL_SIZE', '0'],
    ['TALLY_ADMIN_KEY', 'too-short'],
    ['RATE_LIMIT_MAX', '-1'],
    ['RATE_LIMIT_WINDOW_SECONDS', '3601'],
    ['LOG_LEVEL', 'loud'],
    ['SHUTDOWN_GRACE_MS', 'soon'],
    ['WEB_CONCURRENCY', '0'],
    ['WEB_CONCURRENCY', '2'],
    ['PROVER_LIVENESS_TTL_MS', '10'],
    ['SCHEDULER_ENABLED', 'maybe'],
    ['SCHEDULER_TICK_MS', '0'],
    ['SCHEDULER_BATCH_SIZE', '0'],
    ['SCHEDULER_MAX_ATTEMPTS', '0'],
    ['JOB_WALL_CLOCK_TTL_MS', '1.5'],
  ])('rejects %s=%s with a message naming it', (name, value) => {
    const message = errorOf({ [name]: value });
    expect(message).toMatch(/^Invalid environment:/);
    expect(message).toMatch(new RegExp(`^  ${name}: .+`, 'm'));
  });

  it('has the scheduler defaults and parses its switches', () => {
    expect(validateEnv({})).toMatchObject({
      PROVER_LIVENESS_TTL_MS: 15000,
      SCHEDULER_ENABLED: true,
      SCHEDULER_TICK_MS: 250,
      SCHEDULER_BATCH_SIZE: 200,
      SCHEDULER_SWEEP_MS: 1000,
      SCHEDULER_MAX_ATTEMPTS: 3,
      JOB_WALL_CLOCK_TTL_MS: 600000,
    });
    expect(validateEnv({ SCHEDULER_ENABLED: 'false' }).SCHEDULER_ENABLED).toBe(false);
    expect(validateEnv({ SCHEDULER_ENABLED: '1', SCHEDULER_TICK_MS: '20' })).toMatchObject({
      SCHEDULER_ENABLED: true,
      SCHEDULER_TICK_MS: 20,
    });
  });

  it('has the prover and scorecard defaults; SCORE_ALPHA is a decimal in (0, 1]', () => {
    expect(validateEnv({})).toMatchObject({
      PROVER_POLL_RECHECK_MS: 100,
      SCORE_ALPHA: '0.1',
      SCORE_DECAY_HALF_LIFE_MS: 86400000,
      SCORE_IDLE_AFTER_MS: 3600000,
      SCORECARD_MAX_RETRIES: 10,
    });
    for (const ok of ['1', '1.0', '0.05', '0.10', '0.000000000000000001']) {
      expect(validateEnv({ SCORE_ALPHA: ok }).SCORE_ALPHA).toBe(ok);
    }
    expect(validateEnv({ SCORE_IDLE_AFTER_MS: '0' }).SCORE_IDLE_AFTER_MS).toBe(0);
    for (const bad of ['0', '0.0', '1.5', '.1', '-0.1', '0.1x', '1e-1']) {
      expect(errorOf({ SCORE_ALPHA: bad })).toMatch(/^ {2}SCORE_ALPHA: /m);
    }
    for (const [name, value] of [
      ['SCORE_DECAY_HALF_LIFE_MS', '-1'],
      ['SCORE_IDLE_AFTER_MS', '-1'],
      ['SCORECARD_MAX_RETRIES', '1001'],
      ['PROVER_POLL_RECHECK_MS', '5'],
    ]) {
      expect(errorOf({ [name]: value })).toMatch(new RegExp(`^  ${name}: `, 'm'));
    }
  });

  it('PROVER_START_ACK_GRACE_MS follows PROVER_LIVENESS_TTL_MS unless set (0 allowed)', () => {
    expect(validateEnv({}).PROVER_START_ACK_GRACE_MS).toBe(15000);
    expect(validateEnv({ PROVER_LIVENESS_TTL_MS: '60000' }).PROVER_START_ACK_GRACE_MS).toBe(60000);
    expect(validateEnv({ PROVER_START_ACK_GRACE_MS: '' }).PROVER_START_ACK_GRACE_MS).toBe(15000);
    expect(
      validateEnv({ PROVER_LIVENESS_TTL_MS: '60000', PROVER_START_ACK_GRACE_MS: '250' }).PROVER_START_ACK_GRACE_MS,
    ).toBe(250);
    expect(validateEnv({ PROVER_START_ACK_GRACE_MS: '0' }).PROVER_START_ACK_GRACE_MS).toBe(0);
    for (const bad of ['-1', '1.5', 'soon', '3600001']) {
      expect(errorOf({ PROVER_START_ACK_GRACE_MS: bad })).toMatch(/^ {2}PROVER_START_ACK_GRACE_MS: /m);
    }
  });

  it('keeps JWT authentication off until a JWKS is set, and then requires its issuer and audience', () => {
    expect(jwtConfigured(validateEnv({}))).toBe(false);
    const jwks = { AUTH_JWT_ISSUER: 'https://id.example', AUTH_JWT_AUDIENCE: 'tally,tally-grpc' };
    const byUrl = validateEnv({ ...jwks, AUTH_JWKS_URL: 'https://id.example/.well-known/jwks.json' });
    expect(jwtConfigured(byUrl)).toBe(true);
    expect(byUrl).toMatchObject({
      AUTH_JWT_ALGORITHMS: 'RS256,PS256,ES256,EdDSA',
      AUTH_JWT_ROLE_CLAIM: 'role',
      AUTH_JWT_CLOCK_TOLERANCE_SECONDS: 30,
      AUTH_JWKS_CACHE_TTL_SECONDS: 300,
      AUTH_JWKS_COOLDOWN_SECONDS: 10,
      AUTH_JWKS_TIMEOUT_MS: 5000,
    });
    expect(byUrl.AUTH_JWT_MAX_TOKEN_AGE_SECONDS).toBeUndefined();
    expect(jwtConfigured(validateEnv({ ...jwks, AUTH_JWKS_FILE: '/etc/tally/jwks.json' }))).toBe(true);
    for (const local of ['http://127.0.0.1:8080/jwks', 'http://localhost/jwks', 'http://[::1]:9/jwks']) {
      expect(validateEnv({ ...jwks, AUTH_JWKS_URL: local }).AUTH_JWKS_URL).toBe(local);
    }
    expect(errorOf({ AUTH_JWKS_FILE: '/etc/tally/jwks.json' })).toMatch(
      /^ {2}AUTH_JWT_ISSUER: .*required[\s\S]*^ {2}AUTH_JWT_AUDIENCE: .*required/m,
    );
    expect(errorOf({ AUTH_JWT_ISSUER: 'https://id.example' })).toMatch(/^ {2}AUTH_JWT_ISSUER: .*needs AUTH_JWKS_URL/m);
    for (const [name, value] of [
      ['AUTH_JWKS_URL', 'http://id.example/jwks'],
      ['AUTH_JWKS_URL', 'ftp://id.example/jwks'],
      ['AUTH_JWKS_URL', 'not a url'],
      ['AUTH_JWKS_FILE', '/etc/both.json'],
      ['AUTH_JWT_AUDIENCE', 'a,,b'],
      ['AUTH_JWT_ALGORITHMS', 'HS256'],
      ['AUTH_JWT_ALGORITHMS', 'RS256,none'],
      ['AUTH_JWT_CLOCK_TOLERANCE_SECONDS', '301'],
      ['AUTH_JWT_MAX_TOKEN_AGE_SECONDS', '0'],
      ['AUTH_JWKS_CACHE_TTL_SECONDS', '0'],
      ['AUTH_JWKS_COOLDOWN_SECONDS', '301'],
      ['AUTH_JWKS_TIMEOUT_MS', '50'],
    ]) {
      const base = { ...jwks, AUTH_JWKS_URL: 'https://id.example/jwks' };
      expect(errorOf({ ...base, [name]: value })).toMatch(new RegExp(`^  ${name}: `, 'm'));
    }
  });

  it('checks the receipt keys, the seal schedule and the sinks', () => {
    expect(validateEnv({})).toMatchObject({ SETTLEMENT_ENABLED: true, SETTLEMENT_SEAL_CRON: '0 * * * * *' });
    for (const ok of ['*/5 * * * * *', '0 */2 * * *', '@hourly']) {
      expect(validateEnv({ SETTLEMENT_SEAL_CRON: ok }).SETTLEMENT_SEAL_CRON).toBe(ok);
    }
    for (const [name, value] of [
      ['SETTLEMENT_SEAL_CRON', 'every minute'],
      ['SETTLEMENT_SEAL_CRON', '61 * * * * *'],
      ['RECEIPT_SIGNING_KEY_HEX', 'ab'.repeat(31)],
      ['RECEIPT_ATTESTATION_KEY_HEX', 'zz'.repeat(32)],
      ['SETTLEMENT_WEBHOOK_URL', 'ftp://example.com/x'],
      ['SETTLEMENT_WEBHOOK_SECRET', 'short'],
      ['SETTLEMENT_RETRY_BASE_MS', '5'],
      ['SETTLEMENT_SECONDARY_WEBHOOK_URL', 'ftp://example.com/x'],
      ['SETTLEMENT_EMERGENCY_WEBHOOK_SECRET', 'short'],
      ['SETTLEMENT_FAILOVER_FAILURES', '0'],
      ['SETTLEMENT_RECOVERY_SUCCESSES', '1001'],
    ]) {
      expect(errorOf({ [name]: value })).toMatch(new RegExp(`^  ${name}: `, 'm'));
    }
  });

  it('checks the settlement sink chain across its variables', () => {
    const hook = { SETTLEMENT_WEBHOOK_URL: 'https://a.example/b', SETTLEMENT_WEBHOOK_SECRET: 'a'.repeat(16) };
    expect(validateEnv({})).toMatchObject({ SETTLEMENT_FAILOVER_FAILURES: 3, SETTLEMENT_RECOVERY_SUCCESSES: 2 });
    expect(() =>
      validateEnv({
        ...hook,
        SETTLEMENT_SECONDARY_WEBHOOK_URL: 'https://c.example/d',
        SETTLEMENT_EMERGENCY_FILE_DIR: '/x',
      }),
    ).not.toThrow();
    for (const [name, extra] of [
      ['SETTLEMENT_WEBHOOK_SECRET', { SETTLEMENT_WEBHOOK_URL: 'https://a.example/b' }],
      [
        'SETTLEMENT_SECONDARY_FILE_DIR',
        { ...hook, SETTLEMENT_SECONDARY_WEBHOOK_URL: 'https://c.example/d', SETTLEMENT_SECONDARY_FILE_DIR: '/x' },
      ],
      ['SETTLEMENT_EMERGENCY_FILE_DIR', { SETTLEMENT_EMERGENCY_FILE_DIR: '/x' }],
      ['SETTLEMENT_FILE_DIR', { ...hook, SETTLEMENT_FILE_DIR: '/x', SETTLEMENT_EMERGENCY_FILE_DIR: '/y' }],
    ] as const) {
      expect(errorOf(extra)).toMatch(new RegExp(`^  ${name}: `, 'm'));
    }
  });

  it('checks the protocol versions: lists of majors, the deprecated ones served and not the current one', () => {
    expect(validateEnv({})).toMatchObject({ PROTOCOL_VERSIONS: '1' });
    expect(validateEnv({ PROTOCOL_VERSIONS: '1,2', PROTOCOL_DEPRECATED_VERSIONS: '1' })).toMatchObject({
      PROTOCOL_VERSIONS: '1,2',
      PROTOCOL_DEPRECATED_VERSIONS: '1',
    });
    for (const [name, value] of [
      ['PROTOCOL_VERSIONS', 'v1'],
      ['PROTOCOL_VERSIONS', '1.2'],
      ['PROTOCOL_DEPRECATED_VERSIONS', '1;2'],
    ]) {
      expect(errorOf({ [name]: value })).toMatch(new RegExp(`^  ${name}: `, 'm'));
    }
    expect(errorOf({ PROTOCOL_DEPRECATED_VERSIONS: '2' })).toMatch(/PROTOCOL_DEPRECATED_VERSIONS: .*not served: 2/);
    expect(errorOf({ PROTOCOL_DEPRECATED_VERSIONS: '1' })).toMatch(
      /current protocol version \(1\) cannot be deprecated/,
    );
  });

  it('lists every wrong variable, one per line', () => {
    const message = errorOf({ PORT: 'abc', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x' });
    const lines = message.split('\n').slice(1);
    // Then one line saying how to fix them.
    expect(lines.pop()).toMatch(/^Fix these variables .*README\.md#configuration/);
    expect(lines.map((l) => l.trim().split(':')[0]).sort()).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'PORT']);
  });
});

describe('the documented variables', () => {
  const root = join(__dirname, '../../../..');
  const variables = [
    ...new Set(
      getMetadataStorage()
        .getTargetValidationMetadatas(TallyEnv, '', true, false)
        .map((m) => m.propertyName),
    ),
  ];
  const example = readFileSync(join(root, '.env.example'), 'utf8');

  it('.env.example lists every variable (set, or commented out) and no other', () => {
    expect(variables.length).toBeGreaterThan(20);
    const listed = [...example.matchAll(/^(?:# )?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]);
    expect([...listed].sort()).toEqual([...variables].sort());
  });

  it(".env.example's values are the defaults, so a copy of it as .env changes nothing", () => {
    expect(validateEnv(parseEnv(example))).toEqual(validateEnv({}));
  });

  it("the README's configuration table names every variable", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Commands'));
    expect(variables.filter((name) => !table.includes(`\`${name}\``))).toEqual([]);
  });
});
