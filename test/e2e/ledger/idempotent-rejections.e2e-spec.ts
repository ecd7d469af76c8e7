import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { IdempotencyRejections1763791710000 } from '../../../migrations/1763791710000-IdempotencyRejections';
import { LedgerCtx } from '../../support/ledger-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

/**
 * A refused posting keeps its Idempotency-Key with the ledger's rejection; a retry with the
 * key answers exactly as the first time (status, code, title, detail), before and after the
 * stored rows are converted between the old (status code) form and the new one.
 */
describe('idempotent rejections', () => {
  let t: TestApp;
  let ctx: LedgerCtx;
  beforeAll(async () => {
    t = await startTestApp();
    ctx = new LedgerCtx(t);
  });
  afterAll(() => t.close());

  /** A refused request, to send again with the same key. */
  interface Refusal {
    key: string;
    path: string;
    body: Record<string, unknown>;
    first: Response;
  }
  const send = (path: string, key: string, body: Record<string, unknown>) =>
    t.http().post(path).set(ctx.admin()).set('Idempotency-Key', key).send(body);
  const answer = (res: Response) => {
    const { request_id: _requestId, ...body } = res.body as Record<string, unknown>;
    return { status: res.status, contentType: res.headers['content-type'], body };
  };
  async function refuse(path: string, body: Record<string, unknown>, status: number): Promise<Refusal> {
    const key = randomUUID();
    const first = await send(path, key, body).expect(status);
    return { key, path, body, first };
  }
  async function expectReplays(refusals: Refusal[]) {
    for (const r of refusals) {
      const again = await send(r.path, r.key, r.body);
      expect(answer(again)).toEqual(answer(r.first));
      expect(again.headers['idempotent-replayed']).toBe('true');
    }
  }

  it('answers a replayed refusal as the first time, across the conversion of the stored rows', async () => {
    const u = ctx.name();
    await ctx.mint('user', u, '3');
    const hold = await send('/v1/credits/holds', randomUUID(), { account_type: 'user', account_id: u, amount: '2' });
    const holdId = hold.body.transfer_id as string;
    await send(`/v1/credits/holds/${holdId}/void`, randomUUID(), {}).expect(201);

    const refusals = [
      await refuse(
        '/v1/credits/transfer',
        {
          from: { account_type: 'user', account_id: u },
          to: { account_type: 'platform', account_id: 'main' },
          amount: '4',
        },
        402,
      ),
      await refuse(`/v1/credits/holds/${randomUUID()}/capture`, { amount: '1' }, 404),
      await refuse(`/v1/credits/holds/${holdId}/void`, {}, 409),
      await refuse(
        '/v1/credits/transfer',
        {
          from: { account_type: 'user', account_id: ctx.name('nobody') },
          to: { account_type: 'platform', account_id: 'main' },
          amount: '1',
        },
        404,
      ),
    ];
    expect(refusals.map((r) => r.first.body.code)).toEqual(['DSE-008', 'DSE-015', 'DSE-010', 'DSE-011']);
    await expectReplays(refusals);
    const stored = () =>
      t.dataSource.query(
        `SELECT key, outcome, rejection->>'reason' AS reason FROM idempotency_keys WHERE key = ANY($1) ORDER BY key`,
        [refusals.map((r) => r.key)],
      );
    const converted = await stored();
    expect(converted.map((r: { reason: string }) => r.reason).sort()).toEqual([
      'hold-not-open',
      'insufficient-credits',
      'unknown-account',
      'unknown-hold',
    ]);

    // Back to the rows as an older version stored them, plus one from before DSE-015 existed
    // (an unknown hold kept as DSE-001 with its 404), and forward again.
    const migration = new IdempotencyRejections1763791710000();
    // One connection for it all (an embedded database has only one), released before the replays.
    const runner = t.dataSource.createQueryRunner();
    const legacyKey = randomUUID();
    try {
      await migration.down(runner);
      await runner.query(
        `INSERT INTO idempotency_keys (scope, key, request_hash, status_code, error)
         SELECT scope, $2, request_hash, 404, jsonb_build_object('code', 'DSE-001', 'detail', error->>'detail')
         FROM idempotency_keys WHERE key = $1`,
        [refusals[1].key, legacyKey],
      );
      const old = await runner.query(
        `SELECT status_code, error->>'code' AS code FROM idempotency_keys WHERE key = $1`,
        [refusals[0].key],
      );
      expect(old).toEqual([{ status_code: 402, code: 'DSE-008' }]);
      await migration.up(runner);
    } finally {
      await runner.release();
    }
    expect(await stored()).toEqual(converted);
    await expectReplays([...refusals, { ...refusals[1], key: legacyKey }]);
  });
});
