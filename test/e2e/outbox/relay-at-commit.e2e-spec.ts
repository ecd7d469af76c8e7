import { JOB_ASSIGNED, JOB_AUDIT, JOB_AUDITED, JOB_COMPLETED, JOB_STARTED, JOB_SUBMITTED } from '@tally/jobs';
import { HOLD_CAPTURED, HOLD_PLACED, TRANSFER_POSTED } from '@tally/ledger';
import { EventBus } from '@nestjs/cqrs';
import { isExternalOutboxEvent, OutboxEvent, outboxEventClasses } from '@tally/database';
import { ProversCtx } from '../../support/provers-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

/**
 * Every event a job's life writes (its own, the ledger's, the audit's) is leased to the
 * process that wrote it and handed to that process's relay at commit: the polling relay
 * of another replica leaves it alone, and the bus gets exactly what the row holds.
 */
describe('outbox: events go to the bus from their commit', () => {
  let t: TestApp;
  let ctx: ProversCtx;
  /** What the app's one event bus carried (every handler of the app listens on it). */
  const seen: { eventId: string; type: string; payload: unknown }[] = [];
  beforeAll(async () => {
    t = await startTestApp({ SCHEDULER_ENABLED: 'false', SETTLEMENT_ENABLED: 'false' });
    ctx = new ProversCtx(t);
    t.app.get(EventBus).subscribe((event) => {
      if (event instanceof OutboxEvent) {
        seen.push({ eventId: event.eventId, type: event.constructor.name, payload: event.payload });
      }
    });
    // Records, for every outbox row, whether it was written leased (out of other polls' way) and published.
    await t.dataSource.query(
      `CREATE TABLE test_outbox_inserts (event_id uuid, event_type text, leased boolean, published boolean)`,
    );
    await t.dataSource.query(`
      CREATE FUNCTION test_record_outbox_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO test_outbox_inserts
        VALUES (NEW.event_id, NEW.event_type, NEW.next_attempt_at > now(), NEW.published_at IS NOT NULL);
        RETURN NEW;
      END $$`);
    await t.dataSource.query(
      `CREATE TRIGGER test_record_outbox_insert AFTER INSERT ON outbox
       FOR EACH ROW EXECUTE FUNCTION test_record_outbox_insert()`,
    );
  });
  afterAll(() => t.close());

  it('a whole lifecycle (submit, assign, poll, report, audit): every row leased, every row on the bus as written', async () => {
    const client = await ctx.fundedClient('10');
    const prover = await ctx.registeredProver();
    await ctx.heartbeat(prover.name, prover.key).expect(200);
    const id = (await ctx.submit(client.key, { max_cost_micros: 1_000_000 }).expect(201)).body.network_job_id;
    await ctx.assign(id, [prover.name]).expect(201);
    expect((await ctx.poll(prover.name, prover.key).expect(200)).body.network_job_id).toBe(id);
    await ctx.report(id, prover.key, { success: true, final_cost_micros: 400_000 }).expect(201);
    expect(await ctx.waitForStatus(id, 'AUDITED')).toBe('AUDITED');

    const published = async () =>
      (
        await t.dataSource.query(
          `SELECT count(*) FILTER (WHERE published_at IS NULL)::int AS unpublished FROM outbox WHERE partition_key = $1`,
          [id],
        )
      )[0].unpublished;
    const deadline = Date.now() + 5_000;
    while ((await published()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await published()).toBe(0);

    const rows: {
      event_id: string;
      event_type: string;
      payload: Record<string, unknown>;
      leased: boolean;
      published: boolean;
    }[] = await t.dataSource.query(
      `SELECT o.event_id, o.event_type, o.payload, i.leased, i.published FROM outbox o
         JOIN test_outbox_inserts i ON i.event_id = o.event_id
         WHERE o.partition_key = $1 ORDER BY o.id`,
      [id],
    );
    // Each step's events (a settlement's several TransferPosted: the reward, the fee, the refund).
    expect([...new Set(rows.map((r) => r.event_type))].sort()).toEqual(
      [
        JOB_SUBMITTED,
        HOLD_PLACED,
        JOB_ASSIGNED,
        JOB_STARTED,
        HOLD_CAPTURED,
        TRANSFER_POSTED,
        JOB_COMPLETED,
        JOB_AUDIT,
        JOB_AUDITED,
      ].sort(),
    );
    expect(rows.filter((r) => r.event_type !== TRANSFER_POSTED)).toHaveLength(8);
    expect(rows.filter((r) => !r.leased).map((r) => r.event_type)).toEqual([]);
    // Types no handler listens to (the ledger's, JobStarted, JobAudited) are written published
    // and never relayed; every other row waits for the relay, which has marked it by now.
    expect([...new Set(rows.filter((r) => r.published).map((r) => r.event_type))].sort()).toEqual(
      [HOLD_CAPTURED, HOLD_PLACED, JOB_AUDITED, JOB_STARTED, TRANSFER_POSTED].sort(),
    );
    for (const row of rows)
      expect([row.event_type, row.published]).toEqual([row.event_type, isExternalOutboxEvent(row.event_type)]);
    for (const row of rows) {
      // Once per class registered for its type (a type nobody in this process handles has none).
      const delivered = seen.filter((e) => e.eventId === row.event_id);
      const classes = outboxEventClasses(row.event_type).map((c) => c.name);
      expect({ type: row.event_type, delivered: delivered.map((e) => e.type).sort() }).toEqual({
        type: row.event_type,
        delivered: [...classes].sort(),
      });
      for (const e of delivered) expect(e.payload).toEqual(row.payload);
    }
    // The ledger's events carry the transfer's sequence number, as the journal holds it.
    const ledgerRows = rows.filter((r) => [HOLD_PLACED, HOLD_CAPTURED, TRANSFER_POSTED].includes(r.event_type));
    const seqs: { id: string; seq: string }[] = await t.dataSource.query(
      `SELECT id::text, seq::text FROM transfers WHERE id = ANY($1::uuid[])`,
      [ledgerRows.map((r) => r.payload.transfer_id)],
    );
    expect(seqs).toHaveLength(ledgerRows.length);
    for (const row of ledgerRows) {
      expect(row.payload.seq).toBe(seqs.find((s) => s.id === row.payload.transfer_id)!.seq);
    }
  });
});
