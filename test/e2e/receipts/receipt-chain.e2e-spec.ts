import { JOB_AUDIT } from '@tally/jobs';
import { verifyAttestation, verifyReceipt, verifyReceiptChain } from '@tally/receipts';
import { Clock } from '@tally/shared';
import { ReceiptsCtx } from '../../support/receipts-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

describe('job receipt chains', () => {
  let t: TestApp;
  let ctx: ReceiptsCtx;
  beforeAll(async () => {
    // Jobs are assigned by hand here: no scheduler ticks.
    t = await startTestApp({ SCHEDULER_ENABLED: 'false', PLATFORM_FEE_BPS: '1000' });
    ctx = new ReceiptsCtx(t);
  });
  afterAll(() => t.close());

  it('a full lifecycle yields assignment → execution → settlement, chained, signed, matching the ledger', async () => {
    const client = await ctx.fundedClient('10');
    const prover = await ctx.registeredProver();
    const submitted = await ctx.submit(client.key, { max_cost_micros: 2_000_000, client_job_id: 'rc-1' }).expect(201);
    const id = submitted.body.network_job_id;
    await ctx.assign(id, [prover.name]).expect(201);
    await ctx.start(id, prover.key).expect(201);
    await ctx.report(id, prover.key, { success: true, final_cost_micros: 1_500_000 }).expect(201);

    const chain = await ctx.settledChain(id, 'AUDITED');
    expect(chain.map((r) => r.receipt.kind)).toEqual(['assignment', 'execution', 'settlement']);
    expect(chain.map((r) => r.receipt.seq)).toEqual([1, 2, 3]);
    expect(chain[0].receipt.prev_receipt_hash).toBeNull();
    expect(chain[1].receipt.prev_receipt_hash).toBe(chain[0].receipt_hash);
    expect(chain[2].receipt.prev_receipt_hash).toBe(chain[1].receipt_hash);
    const keys = await ctx.keys();
    expect(verifyReceiptChain(chain, keys)).toEqual({ valid: true, length: 3, head: chain[2].receipt_hash });

    const [assignment, execution, settlement] = chain.map((r) => r.receipt);
    expect(assignment).toMatchObject({
      network_job_id: id,
      client_job_id: 'rc-1',
      client_id: client.name,
      round: 1,
      provers: [{ prover_id: prover.name, replica: 1, scorecard_version: '0', score: '50.000000' }],
      max_cost_micros: '2000000',
    });
    expect(execution).toMatchObject({
      status: 'COMPLETED',
      reports: [{ prover_id: prover.name, success: true, final_cost_micros: '1500000', status: 'REPORTED' }],
    });
    // 1.5 credits captured: 10% fee, 1.35 to the prover, 0.5 released to the client.
    expect(settlement).toMatchObject({
      kind: 'settlement',
      status: 'COMPLETED',
      client_id: client.name,
      client_job_id: 'rc-1',
      provers: [prover.name],
      max_cost_micros: '2000000',
      final_cost_micros: '1500000',
      rewards: [{ prover_id: prover.name, reward_micros: '1350000' }],
      refund_micros: '500000',
      platform_fee_micros: '150000',
      scorecard_versions: [{ prover_id: prover.name, scorecard_version: '0', score: '50.000000' }],
      error_message: null,
    });
    expect(settlement.settled_at).toEqual(expect.any(String));
    expect(await ctx.balance('provider', prover.name)).toMatchObject({ posted: '1.35' });

    // Every transfer id is a real ledger transfer of this job: hold, capture, reward.
    const transferIds = settlement.transfer_ids as string[];
    const kinds: string[] = [];
    for (const transferId of transferIds) {
      const res = await t.http().get(`/v1/credits/transactions/${transferId}`).set(ctx.admin()).expect(200);
      expect(res.body.job_id).toBe(id);
      kinds.push(res.body.kind);
    }
    expect(kinds).toEqual(['hold', 'capture', 'reward']);

    // The latest receipt is the settlement; the owning client and the prover may read it, others not.
    const latest = await t.http().get(`/v1/jobs/${id}/receipt`).set(client.key).expect(200);
    expect(latest.body).toEqual(chain[2]);
    await t.http().get(`/v1/jobs/${id}/receipts`).set(prover.key).expect(200);
    const stranger = await ctx.fundedClient('1');
    const hidden = await t.http().get(`/v1/jobs/${id}/receipt`).set(stranger.key).expect(404);
    expect(hidden.body.code).toBe('DSE-003');
    await t
      .http()
      .get(`/v1/jobs/${id}/receipts`)
      .set((await ctx.workingProver()).key)
      .expect(404);
    await t.http().get(`/v1/jobs/${id}/receipts`).expect(401);
    await t.http().get('/v1/jobs/not-a-number/receipts').set(ctx.admin()).expect(400);
    await t.http().get('/v1/jobs/7d8f2a52-0000-4000-8000-000000000000/receipt').set(ctx.admin()).expect(400);
    await t.http().get('/v1/jobs/987654321/receipt').set(ctx.admin()).expect(404);

    for (const doc of chain)
      expect(await ctx.verify(doc)).toMatchObject({ valid: true, receipt_hash: doc.receipt_hash });
  });

  it('a replicated job names every prover, rewards the majority, and chains one settlement', async () => {
    const client = await ctx.fundedClient('10');
    const provers = [await ctx.registeredProver(), await ctx.registeredProver(), await ctx.registeredProver()];
    const id = await ctx.running(client.key, provers, { max_cost_micros: 3_000_000, replicas: 3 });
    await ctx.report(id, provers[0].key, { success: true, final_cost_micros: 900_000, result_hash: 'h' }).expect(201);
    await ctx.report(id, provers[1].key, { success: true, final_cost_micros: 1_200_000, result_hash: 'x' }).expect(201);
    await ctx.report(id, provers[2].key, { success: true, final_cost_micros: 1_000_000, result_hash: 'h' }).expect(201);
    const chain = await ctx.settledChain(id, 'AUDITED');
    // The majority's verification receipt sits between execution and settlement (receipt-quorum covers it).
    expect(chain.map((r) => r.receipt.kind)).toEqual(['assignment', 'execution', 'verification', 'settlement']);
    const settlement = chain[3].receipt;
    expect(settlement.provers).toEqual(provers.map((p) => p.name));
    expect(settlement.final_cost_micros).toBe('900000');
    const rewards = settlement.rewards as Array<{ prover_id: string; reward_micros: string }>;
    expect(rewards.map((r) => r.prover_id).sort()).toEqual([provers[0].name, provers[2].name].sort());
    expect(rewards.every((r) => r.reward_micros === '405000')).toBe(true);
    expect(settlement.platform_fee_micros).toBe('90000');
    expect((settlement.transfer_ids as string[]).length).toBe(4); // hold, capture, two rewards
    expect((chain[1].receipt.reports as unknown[]).length).toBe(3);
    expect(verifyReceiptChain(chain, await ctx.keys()).valid).toBe(true);
  });

  it('FAILED and CANCELLED jobs get settlement receipts; a job cancelled before assignment has just one', async () => {
    const client = await ctx.fundedClient('10');
    const prover = await ctx.registeredProver();

    const failed = await ctx.running(client.key, [prover], { max_cost_micros: 1_000_000 });
    await ctx.report(failed, prover.key, { success: false, error_message: 'out of memory' }).expect(201);
    const failedChain = await ctx.settledChain(failed, 'FAILED');
    expect(failedChain.map((r) => r.receipt.kind)).toEqual(['assignment', 'execution', 'settlement']);
    expect(failedChain[2].receipt).toMatchObject({
      status: 'FAILED',
      final_cost_micros: null,
      refund_micros: '1000000',
      platform_fee_micros: '0',
      rewards: [],
      error_message: 'out of memory',
    });
    expect((failedChain[2].receipt.transfer_ids as string[]).length).toBe(2); // hold, void

    const assigned = (await ctx.submit(client.key, { max_cost_micros: 1_000_000 }).expect(201)).body.network_job_id;
    await ctx.assign(assigned, [prover.name]).expect(201);
    await t.http().post(`/v1/jobs/${assigned}/cancel`).set(client.key).expect(200);
    const assignedChain = await ctx.settledChain(assigned, 'CANCELLED');
    // Cancelled while ASSIGNED: it never ran, so there is no execution receipt.
    expect(assignedChain.map((r) => r.receipt.kind)).toEqual(['assignment', 'settlement']);
    expect(assignedChain[1].receipt).toMatchObject({ status: 'CANCELLED', refund_micros: '1000000' });

    const pending = (await ctx.submit(client.key, { max_cost_micros: 1_000_000 }).expect(201)).body.network_job_id;
    await t.http().post(`/v1/jobs/${pending}/cancel`).set(client.key).expect(200);
    const pendingChain = await ctx.settledChain(pending, 'CANCELLED');
    expect(pendingChain).toHaveLength(1);
    expect(pendingChain[0].receipt).toMatchObject({
      kind: 'settlement',
      seq: 1,
      prev_receipt_hash: null,
      status: 'CANCELLED',
      provers: [],
      scorecard_versions: [],
    });
    const keys = await ctx.keys();
    for (const chain of [failedChain, assignedChain, pendingChain])
      expect(verifyReceiptChain(chain, keys).valid).toBe(true);
  });

  it('concurrent duplicate reports and cancels produce exactly one settlement receipt', async () => {
    const client = await ctx.fundedClient('50');
    const prover = await ctx.registeredProver();
    for (let round = 0; round < 5; round++) {
      const id = await ctx.running(client.key, [prover], { max_cost_micros: 1_000_000 });
      const report = () => ctx.report(id, prover.key, { success: true, final_cost_micros: 700_000 });
      const cancel = () => t.http().post(`/v1/jobs/${id}/cancel`).set(client.key).send();
      const answers = await Promise.all([report(), report(), cancel(), report(), cancel()]);
      // Reports answer 201 or 409; cancels 200 (a repeated one too) or 409.
      for (const i of [0, 1, 3]) expect([201, 409]).toContain(answers[i].status);
      for (const i of [2, 4]) expect([200, 409]).toContain(answers[i].status);
      const status = (await ctx.job(id)).body.status;
      const chain = await ctx.settledChain(id, status === 'COMPLETED' ? 'AUDITED' : status);
      expect(chain.filter((r) => r.receipt.kind === 'settlement')).toHaveLength(1);
      expect(chain.map((r) => r.receipt.kind)).toEqual(['assignment', 'execution', 'settlement']);
      const [row] = await t.dataSource.query(`SELECT count(*)::int AS n FROM receipts WHERE network_job_id = $1`, [id]);
      expect(row.n).toBe(3);
    }
  });

  it('a requeued job records each assignment round and settles once', async () => {
    const client = await ctx.fundedClient('10');
    const [p1, p2] = [await ctx.registeredProver(), await ctx.registeredProver()];
    const id = (await ctx.submit(client.key, { max_cost_micros: 1_000_000 }).expect(201)).body.network_job_id;
    await ctx.assign(id, [p1.name]).expect(201);
    const { RequeueJobCommand } = await import('@tally/jobs');
    const { CommandBus } = await import('@nestjs/cqrs');
    await t.app.get(CommandBus).execute(new RequeueJobCommand(id, p1.name, 3));
    await ctx.assign(id, [p2.name]).expect(201);
    await ctx.start(id, p2.key).expect(201);
    await ctx.report(id, p2.key, { success: true, final_cost_micros: 100_000 }).expect(201);
    const chain = await ctx.settledChain(id, 'AUDITED');
    expect(chain.map((r) => [r.receipt.kind, r.receipt.round ?? null])).toEqual([
      ['assignment', 1],
      ['assignment', 2],
      ['execution', null],
      ['settlement', null],
    ]);
    expect(chain[3].receipt.provers).toEqual([p2.name]);
    expect(chain[3].receipt.scorecard_versions).toEqual([
      { prover_id: p2.name, scorecard_version: '0', score: '50.000000' },
    ]);
    expect(verifyReceiptChain(chain, await ctx.keys()).valid).toBe(true);
    // The first prover still sees the chain it took part in.
    await t.http().get(`/v1/jobs/${id}/receipts`).set(p1.key).expect(200);
  });

  it('COMPLETED → AUDITED waits for both the settlement receipt and the audit event', async () => {
    const client = await ctx.fundedClient('10');
    const prover = await ctx.registeredProver();
    const id = await ctx.running(client.key, [prover], { max_cost_micros: 1_000_000 });
    await ctx.report(id, prover.key, { success: true, final_cost_micros: 500_000 }).expect(201);
    expect(await ctx.waitForStatus(id, 'AUDITED')).toBe('AUDITED');
    const [audit] = await t.dataSource.query(
      `SELECT min(recorded_at) AS at FROM job_audit_log WHERE network_job_id = $1 AND event->>'status' = 'COMPLETED'`,
      [id],
    );
    const [receipt] = await t.dataSource.query(
      `SELECT created_at AS at FROM receipts WHERE network_job_id = $1 AND kind = 'settlement'`,
      [id],
    );
    const [job] = await t.dataSource.query(`SELECT audited_at FROM jobs WHERE network_job_id = $1`, [id]);
    expect(job.audited_at.getTime()).toBeGreaterThanOrEqual(audit.at.getTime());
    expect(job.audited_at.getTime()).toBeGreaterThanOrEqual(receipt.at.getTime());

    // An audit event for a COMPLETED job without a settlement receipt does not move it: a
    // trigger drops that job's settlement receipt as it is written (the audit event is
    // handled right after the settling commit, so removing it afterwards would race).
    const other = await ctx.running(client.key, [prover], { max_cost_micros: 1_000_000 });
    await t.dataSource.query(`
      CREATE FUNCTION test_drop_settlement_receipt() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.kind = 'settlement' AND NEW.network_job_id = '${other}' THEN RETURN NULL; END IF;
        RETURN NEW;
      END $$`);
    await t.dataSource.query(`CREATE TRIGGER test_drop_settlement_receipt BEFORE INSERT ON receipts
      FOR EACH ROW EXECUTE FUNCTION test_drop_settlement_receipt()`);
    try {
      await ctx.report(other, prover.key, { success: true, final_cost_micros: 500_000 }).expect(201);
    } finally {
      await t.dataSource.query(`DROP TRIGGER test_drop_settlement_receipt ON receipts`);
    }
    const kinds = await t.dataSource.query(`SELECT kind FROM receipts WHERE network_job_id = $1 ORDER BY seq`, [other]);
    expect(kinds.map((r: { kind: string }) => r.kind)).toEqual(['assignment', 'execution']);
    expect(await ctx.waitForStatus(other, 'AUDITED', 1500)).toBe('COMPLETED');
  });
});

describe('receipt verification', () => {
  let t: TestApp;
  let ctx: ReceiptsCtx;
  beforeAll(async () => {
    t = await startTestApp({
      SCHEDULER_ENABLED: 'false',
      RECEIPT_ATTESTATION_KEY_HEX: 'ab'.repeat(32),
    });
    ctx = new ReceiptsCtx(t);
  });
  afterAll(async () => {
    await t.close();
    delete process.env.RECEIPT_ATTESTATION_KEY_HEX;
  });

  /** Every path to a leaf of a JSON value. */
  function leaves(value: unknown, path: (string | number)[] = []): (string | number)[][] {
    if (typeof value !== 'object' || value === null) return [path];
    const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
    if (entries.length === 0) return [path];
    return entries.flatMap(([k, v]) => leaves(v, [...path, k]));
  }
  function altered(doc: object, path: (string | number)[]): object {
    const copy = structuredClone(doc) as Record<string | number, unknown>;
    let node = copy;
    for (const k of path.slice(0, -1)) node = node[k] as Record<string | number, unknown>;
    const last = path[path.length - 1];
    const v = node[last];
    node[last] =
      typeof v === 'string'
        ? /^[0-9a-f]+$/.test(v) && v.length > 0
          ? (v[0] === '0' ? '1' : '0') + v.slice(1)
          : `${v}x`
        : typeof v === 'number'
          ? v + 1
          : typeof v === 'boolean'
            ? !v
            : v === null
              ? 'x'
              : Array.isArray(v)
                ? [...v, 'x']
                : { ...(v as object), x: 1 };
    return copy;
  }

  it('verifies, and changing any field, the signature or the key makes it invalid with a reason', async () => {
    const client = await ctx.fundedClient('10');
    const prover = await ctx.registeredProver();
    const id = await ctx.running(client.key, [prover], { max_cost_micros: 1_000_000, client_job_id: 'v-1' });
    await ctx.report(id, prover.key, { success: true, final_cost_micros: 250_000 }).expect(201);
    const [, , doc] = await ctx.settledChain(id, 'AUDITED');
    const keys = await ctx.keys();
    expect(verifyReceipt(doc, keys)).toEqual({
      valid: true,
      key_id: doc.signature.key_id,
      receipt_hash: doc.receipt_hash,
    });
    expect(await ctx.verify(doc)).toMatchObject({ valid: true, attestation: { valid: true } });

    const paths = leaves(doc);
    expect(paths.length).toBeGreaterThan(30);
    for (const path of paths) {
      const bad = altered(doc, path);
      const online = await ctx.verify(bad);
      const field = path.join('.');
      if (path[0] === 'attestation') {
        // The attestation is a separate check: the receipt stands, its attestation does not.
        expect({ field, offline: verifyAttestation(bad, keys).valid }).toEqual({ field, offline: false });
        expect({ field, online: online.attestation?.valid }).toEqual({ field, online: false });
        continue;
      }
      const offline = verifyReceipt(bad, keys);
      expect({ field, valid: offline.valid }).toEqual({ field, valid: false });
      expect({ field, online }).toEqual({
        field,
        online: { valid: false, reason: (offline as { reason: string }).reason },
      });
      // A signed field changes the hash; a few (kind, seq, …) are first caught by their shape.
      if (field.startsWith('receipt.'))
        expect([field, online.reason]).toEqual([field, expect.stringMatching(/^(hash_mismatch|malformed)$/)]);
    }
    // A changed field with its hash recomputed still fails: the signature does not match.
    const { canonicalBytes, receiptStatement, sha256Hex } = await import('@tally/receipts');
    const forged = structuredClone(doc);
    forged.receipt.final_cost_micros = '1';
    forged.receipt_hash = sha256Hex(canonicalBytes(receiptStatement(forged.receipt)));
    expect(await ctx.verify(forged)).toEqual({ valid: false, reason: 'signature_invalid' });
    // Signed by a key nobody published.
    expect(
      verifyReceipt(
        doc,
        keys.filter((k) => k.key_id !== doc.signature.key_id),
      ),
    ).toEqual({
      valid: false,
      reason: 'unknown_key',
    });
    // A listed key whose id is not the hash of its public key is not trusted.
    const swapped = keys.map((k) =>
      k.key_id === doc.signature.key_id ? { ...k, public_key: keys.find((o) => o !== k)!.public_key } : k,
    );
    expect(verifyReceipt(doc, swapped)).toEqual({ valid: false, reason: 'unknown_key' });
    // An extra top-level field, an unknown version, junk.
    expect(await ctx.verify({ ...doc, extra: 1 })).toEqual({ valid: false, reason: 'malformed' });
    expect(await ctx.verify({ ...doc, version: 3 })).toEqual({ valid: false, reason: 'unsupported_version' });
    // The version is signed: relabelled as version 1 (which verifiers still take) it no longer hashes.
    expect(await ctx.verify({ ...doc, version: 1 })).toEqual({ valid: false, reason: 'hash_mismatch' });
    expect(await ctx.verify({})).toEqual({ valid: false, reason: 'malformed' });
    // Not a document at all, like a primitive body: the request is refused (every route takes an object).
    const list = await t.http().post('/v1/receipts/verify').send([doc]).expect(400);
    expect(list.body).toMatchObject({ code: 'DSE-001', detail: 'request body must be a JSON object' });
  });

  it('POST /v1/receipts/verify takes the chain document GET /v1/jobs/{id}/receipts returns, as it is', async () => {
    const client = await ctx.fundedClient('10');
    const prover = await ctx.registeredProver();
    const id = (await ctx.submit(client.key, { max_cost_micros: 1_000_000 }).expect(201)).body.network_job_id;
    await ctx.assign(id, [prover.name]).expect(201);
    await ctx.start(id, prover.key).expect(201);
    await ctx.report(id, prover.key, { success: true, final_cost_micros: 400_000 }).expect(201);
    expect(await ctx.waitForStatus(id, 'AUDITED')).toBe('AUDITED');
    const served = (await t.http().get(`/v1/jobs/${id}/receipts`).set(client.key).expect(200)).body;
    expect(Object.keys(served).sort()).toEqual(['network_job_id', 'receipts']);

    expect(await ctx.verify(served)).toEqual({ valid: true, length: 3, head: served.receipts[2].receipt_hash });
    // A changed receipt, a reordered chain, or the chain of another job under this id: invalid, with where.
    const changed = structuredClone(served);
    changed.receipts[1].receipt.status = 'FAILED';
    expect(await ctx.verify(changed)).toEqual({ valid: false, reason: 'hash_mismatch', index: 1 });
    const reordered = { ...served, receipts: [served.receipts[1], served.receipts[0], served.receipts[2]] };
    expect(await ctx.verify(reordered)).toEqual({ valid: false, reason: 'chain_out_of_order', index: 0 });
    const relabelled = { ...served, network_job_id: String(BigInt(id) + 1n) };
    expect(await ctx.verify(relabelled)).toEqual({ valid: false, reason: 'chain_job_mismatch', index: 2 });
    expect(await ctx.verify({ ...served, receipts: [] })).toEqual({ valid: false, reason: 'chain_empty', index: 0 });

    // A document that is not a chain document: a problem with its field, never a 500.
    for (const [body, field] of [
      [{ ...served, extra: 1 }, 'extra'],
      [{ ...served, network_job_id: 'job-1' }, 'network_job_id'],
      [{ receipts: served.receipts }, 'network_job_id'],
      [{ ...served, receipts: { 0: served.receipts[0] } }, 'receipts'],
    ] as const) {
      const res = await t.http().post('/v1/receipts/verify').send(body).expect(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect([field, res.body.code, res.body.field]).toEqual([field, 'DSE-001', field]);
    }
  });

  it('the attestation verifies separately, over the receipt hash, with the attestation key', async () => {
    const client = await ctx.fundedClient('10');
    const id = (await ctx.submit(client.key, { max_cost_micros: 1_000_000 }).expect(201)).body.network_job_id;
    await t.http().post(`/v1/jobs/${id}/cancel`).set(client.key).expect(200);
    const [doc] = await ctx.settledChain(id, 'CANCELLED');
    const keys = await ctx.keys();
    const attestationKey = keys.find((k) => k.purpose === 'attestation')!;
    expect(doc.attestation!.key_id).toBe(attestationKey.key_id);
    expect(verifyAttestation(doc, keys)).toMatchObject({ valid: true, key_id: attestationKey.key_id });
    // The receipt alone still verifies without the attestation; a bad attestation fails only that check.
    const { attestation, ...bare } = doc;
    expect(verifyReceipt(bare, keys).valid).toBe(true);
    expect(verifyAttestation(bare, keys)).toEqual({ valid: false, reason: 'no_attestation' });
    const wrong = { ...doc, attestation: { ...attestation!, value: doc.signature.value } };
    expect(verifyReceipt(wrong, keys).valid).toBe(true);
    expect(verifyAttestation(wrong, keys)).toEqual({ valid: false, reason: 'attestation_invalid' });
    expect(await ctx.verify(wrong)).toMatchObject({
      valid: true,
      attestation: { valid: false, reason: 'attestation_invalid' },
    });
    // The attestation key cannot stand in for the signing key, nor the reverse.
    const crossed = { ...doc, signature: { ...doc.signature, key_id: attestationKey.key_id } };
    expect(verifyReceipt(crossed, keys)).toEqual({ valid: false, reason: 'wrong_key_purpose' });
  });

  it("stamps receipts, reports and the audit entry with the app's clock, which a test can set", async () => {
    const client = await ctx.fundedClient('10');
    const prover = await ctx.registeredProver();
    const id = (await ctx.submit(client.key, { max_cost_micros: 1_000_000 }).expect(201)).body.network_job_id;
    const at = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    const pinned = jest.spyOn(t.app.get(Clock), 'now').mockImplementation(() => new Date(at));
    try {
      await ctx.assign(id, [prover.name]).expect(201);
      await ctx.start(id, prover.key).expect(201);
      await ctx.report(id, prover.key, { success: true, final_cost_micros: 600_000 }).expect(201);
    } finally {
      pinned.mockRestore();
    }
    const chain = await ctx.settledChain(id, 'AUDITED');
    expect(chain.map((r) => r.receipt.issued_at)).toEqual([at.toISOString(), at.toISOString(), at.toISOString()]);
    expect(chain[1].receipt).toMatchObject({ reports: [{ reported_at: at.toISOString() }] });
    const [audit] = await t.dataSource.query(
      `SELECT payload FROM outbox WHERE event_type = $1 AND partition_key = $2`,
      [JOB_AUDIT, id],
    );
    expect(audit.payload.timestamp).toBe(at.toISOString());
  });
});
