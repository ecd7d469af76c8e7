import { JOB_AUDIT } from '@tally/jobs';
import { JobsCtx } from '../../support/jobs-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

/**
 * At-least-once delivery to handlers: a handler that throws gets the event again. The
 * failure is real: a trigger makes the first inserts into the audit log fail (a sequence,
 * because it is not rolled back with the failing transaction).
 */
describe('outbox: at least once, per handler', () => {
  let t: TestApp;
  let ctx: JobsCtx;
  beforeAll(async () => {
    t = await startTestApp({ SCHEDULER_ENABLED: 'false', SETTLEMENT_ENABLED: 'false' });
    ctx = new JobsCtx(t);
  });
  afterAll(() => t.close());

  it('the audit recorder fails twice, the JobAudit event is redelivered, and the job still ends AUDITED once', async () => {
    await t.dataSource.query(`CREATE SEQUENCE test_audit_failures`);
    await t.dataSource.query(`
      CREATE FUNCTION test_fail_audit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF nextval('test_audit_failures') <= 2 THEN RAISE EXCEPTION 'injected audit failure'; END IF;
        RETURN NEW;
      END $$`);
    await t.dataSource.query(
      `CREATE TRIGGER test_fail_audit BEFORE INSERT ON job_audit_log FOR EACH ROW EXECUTE FUNCTION test_fail_audit()`,
    );

    const client = await ctx.fundedClient('10');
    const prover = await ctx.workingProver();
    const id = (await ctx.submit(client.key, { max_cost_micros: 1_000_000 }).expect(201)).body.network_job_id;
    await ctx.assign(id, [prover.name]).expect(201);
    await ctx.start(id, prover.key).expect(201);
    await ctx.report(id, prover.key, { success: true, final_cost_micros: 500_000 }).expect(201);

    expect(await ctx.waitForStatus(id, 'AUDITED')).toBe('AUDITED');
    const [{ last_value }] = await t.dataSource.query(`SELECT last_value::int FROM test_audit_failures`);
    expect(last_value).toBe(3);
    // Marked published once the relay's batch of marks is written (within about 50 ms).
    const row = async () =>
      (
        await t.dataSource.query(
          `SELECT redeliveries, published_at IS NOT NULL AS published FROM outbox
           WHERE event_type = '${JOB_AUDIT}' AND partition_key = $1`,
          [id],
        )
      )[0];
    const deadline = Date.now() + 5_000;
    while (!(await row()).published && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await row()).toEqual({ redeliveries: 2, published: true });
    const audit = await t.dataSource.query(`SELECT 1 FROM job_audit_log WHERE network_job_id = $1`, [id]);
    expect(audit).toHaveLength(1);
  });

  /**
   * An event counts as handled only once its handlers' work has committed: a JobAudit row
   * is still unpublished while the audit recorder's statement runs (a trigger looks at the
   * row from inside that statement, after a pause long enough for any early mark to land).
   */
  it('the JobAudit row is unpublished while its audit entry is written, and published after', async () => {
    await t.dataSource.query(`CREATE TABLE test_seen_at_audit (network_job_id varchar, published boolean)`);
    await t.dataSource.query(`
      CREATE FUNCTION test_look_at_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_sleep(0.3);
        INSERT INTO test_seen_at_audit
          SELECT NEW.network_job_id, bool_or(published_at IS NOT NULL) FROM outbox
          WHERE event_type = '${JOB_AUDIT}' AND partition_key = NEW.network_job_id::text;
        RETURN NEW;
      END $$`);
    await t.dataSource.query(
      `CREATE TRIGGER test_look_at_outbox BEFORE INSERT ON job_audit_log FOR EACH ROW EXECUTE FUNCTION test_look_at_outbox()`,
    );

    const client = await ctx.fundedClient('10');
    const prover = await ctx.workingProver();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const id = (await ctx.submit(client.key, { max_cost_micros: 1_000_000 }).expect(201)).body.network_job_id;
      await ctx.assign(id, [prover.name]).expect(201);
      await ctx.start(id, prover.key).expect(201);
      await ctx.report(id, prover.key, { success: true, final_cost_micros: 500_000 }).expect(201);
      ids.push(id);
    }
    for (const id of ids) expect(await ctx.waitForStatus(id, 'AUDITED')).toBe('AUDITED');

    const seen: { network_job_id: string; published: boolean }[] = await t.dataSource.query(
      `SELECT network_job_id, published FROM test_seen_at_audit ORDER BY network_job_id`,
    );
    expect(seen).toEqual([...ids].sort().map((id) => ({ network_job_id: id, published: false })));
    const unpublished = async () =>
      (
        await t.dataSource.query(
          `SELECT count(*)::int AS n FROM outbox WHERE event_type = '${JOB_AUDIT}' AND partition_key = ANY($1) AND published_at IS NULL`,
          [ids],
        )
      )[0].n;
    const deadline = Date.now() + 5_000;
    while ((await unpublished()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await unpublished()).toBe(0);
  });
});
