import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidEnvironmentError } from '@tally/shared';
import {
  canonicalBytes,
  keyIdOf,
  publicKeyOfSeed,
  ReceiptCountersigner,
  ReceiptDocument,
  receiptStatement,
  SignerSetConfigError,
  signEd25519,
  verifyQuorum,
} from '@tally/receipts';
import { runCli } from '../../support/cli';
import { ReceiptsCtx } from '../../support/receipts-ctx';
import { startTestApp, TestApp } from '../../support/test-app';
import { createTestDatabase, TestDatabase } from '../../support/test-database';

jest.setTimeout(240_000);

const seed = () => randomBytes(32).toString('hex');
// The config module copies the validated environment into process.env: each app names them all ('' unsets).
const VARS = [
  'RECEIPT_SIGNING_KEY_HEX',
  'RECEIPT_ATTESTATION_KEY_HEX',
  'RECEIPT_SIGNER_SET',
  'RECEIPT_QUORUM',
  'RECEIPT_COUNTERSIGN_MS',
];
/** RECEIPT_SIGNER_SET's JSON: each signer with the public keys of its seeds. */
const signerSet = (signers: Record<string, string[]>) =>
  JSON.stringify(
    Object.entries(signers).map(([id, seeds]) => ({ signer_id: id, public_keys: seeds.map(publicKeyOfSeed) })),
  );

describe('quorum-signed receipts', () => {
  let db: TestDatabase;
  let dir: string;
  const saved = { ...process.env };
  const open: TestApp[] = [];
  beforeEach(async () => {
    db = await createTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'tally-quorum-'));
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((a) => a.close()));
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
    for (const name of VARS) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  /** A replica signing with `key`, in the signer set `set` with threshold `k` ('' for none). */
  async function replica(key: string, set = '', k = '', sweepMs = '50', on: TestDatabase = db): Promise<TestApp> {
    const app = await startTestApp(
      {
        SCHEDULER_ENABLED: 'false',
        RECEIPT_SIGNING_KEY_HEX: key,
        RECEIPT_ATTESTATION_KEY_HEX: '',
        RECEIPT_SIGNER_SET: set,
        RECEIPT_QUORUM: k,
        RECEIPT_COUNTERSIGN_MS: sweepMs,
      },
      on,
    );
    open.push(app);
    return app;
  }

  async function close(app: TestApp): Promise<void> {
    open.splice(open.indexOf(app), 1);
    await app.close();
  }

  /** A settled single-replica job's id, run through `app`. */
  async function settledJob(app: TestApp): Promise<string> {
    const ctx = new ReceiptsCtx(app);
    const client = await ctx.fundedClient('5');
    const prover = await ctx.registeredProver();
    const id = await ctx.running(client.key, [prover], { max_cost_micros: 1_000_000 });
    await ctx.report(id, prover.key, { success: true, final_cost_micros: 400_000 }).expect(201);
    await ctx.settledChain(id, 'AUDITED');
    return id;
  }

  /** The job's chain as `app` serves it, once every receipt is final (or the last view after 15 s). */
  async function finalChain(app: TestApp, id: string): Promise<ReceiptDocument[]> {
    const ctx = new ReceiptsCtx(app);
    const deadline = Date.now() + 15_000;
    for (;;) {
      const chain = await ctx.chain(id);
      if (chain.every((r) => r.final) || Date.now() > deadline) return chain;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  const signers = (doc: ReceiptDocument) => (doc.signatures ?? []).map((s) => s.signer_id);

  it('k = 2 of {a, b}: a receipt is final only once the second signer countersigned it', async () => {
    const [a1, a2, b1] = [seed(), seed(), seed()];
    const set = signerSet({ a: [a1, a2], b: [b1] });
    const a = await replica(a1, set, '2');
    const id = await settledJob(a);
    const ctxA = new ReceiptsCtx(a);
    const published = (await a.http().get('/v1/receipts/keys').expect(200)).body;
    expect(published.signer_set).toEqual({
      configured: true,
      threshold: 2,
      signers: [
        {
          signer_id: 'a',
          keys: [a1, a2].map((s) => ({ key_id: keyIdOf(publicKeyOfSeed(s)), public_key: publicKeyOfSeed(s) })),
        },
        { signer_id: 'b', keys: [{ key_id: keyIdOf(publicKeyOfSeed(b1)), public_key: publicKeyOfSeed(b1) }] },
      ],
    });

    // Signed by a alone (as their issuer; a has nothing of its own to countersign): not final.
    expect(await a.app.get(ReceiptCountersigner).sweep()).toBe(0);
    const alone = await ctxA.chain(id);
    expect(alone.map((r) => [r.receipt.kind, r.final, signers(r)])).toEqual([
      ['assignment', false, ['a']],
      ['execution', false, ['a']],
      ['settlement', false, ['a']],
    ]);
    expect(await ctxA.verify(alone[0])).toMatchObject({
      valid: true,
      quorum: { final: false, threshold: 2, signed_by: ['a'], rejected: [] },
    });
    expect(verifyQuorum(alone[2], published.signer_set)).toMatchObject({ valid: true, final: false });

    // b starts (beside a on a server database; after it on the embedded one) and countersigns by its sweep.
    if (!db.env.DATABASE_URL) await close(a);
    const b = await replica(b1, set, '2');
    const chain = await finalChain(b, id);
    expect(chain.map((r) => [r.final, signers(r)])).toEqual([
      [true, ['a', 'b']],
      [true, ['a', 'b']],
      [true, ['a', 'b']],
    ]);
    const ctxB = new ReceiptsCtx(b);
    expect(await ctxB.verify({ network_job_id: id, receipts: chain })).toMatchObject({
      valid: true,
      length: 3,
      quorum: { final: true, threshold: 2, not_final: [] },
    });
    expect((await b.http().get(`/v1/jobs/${id}/receipt`).set(ctxB.admin()).expect(200)).body).toEqual(chain[2]);
    const rows = await b.dataSource.query(
      `SELECT signer_id, count(*)::int AS n FROM receipt_signatures GROUP BY signer_id ORDER BY signer_id`,
    );
    expect(rows).toEqual([{ signer_id: 'b', n: 3 }]);

    // A countersignature changed, or by a key outside the set, is reported and not counted.
    const [doc] = chain;
    const tampered = structuredClone(doc);
    const bSig = tampered.signatures!.find((s) => s.signer_id === 'b')!;
    bSig.value = (bSig.value[0] === '0' ? '1' : '0') + bSig.value.slice(1);
    expect(await ctxB.verify(tampered)).toMatchObject({
      valid: true,
      quorum: { final: false, signed_by: ['a'], rejected: [{ signer_id: 'b', reason: 'signature_invalid' }] },
    });
    const outsider = seed();
    const bytes = canonicalBytes(receiptStatement(doc.receipt, doc.version));
    const foreign = {
      ...doc,
      signatures: [
        doc.signatures![0],
        {
          signer_id: 'b',
          key_id: keyIdOf(publicKeyOfSeed(outsider)),
          algorithm: 'ed25519' as const,
          value: signEd25519(outsider, bytes),
        },
      ],
    };
    expect(await ctxB.verify(foreign)).toMatchObject({
      valid: true,
      quorum: { final: false, signed_by: ['a'], rejected: [{ signer_id: 'b', reason: 'signer_not_in_set' }] },
    });

    // The CLI checks the same offline against the published set.
    const keys = join(dir, 'keys.json');
    writeFileSync(keys, JSON.stringify((await b.http().get('/v1/receipts/keys').expect(200)).body));
    const final = join(dir, 'final.json');
    writeFileSync(final, JSON.stringify(doc));
    const ok = await runCli(db.env, 'verify-receipt', final, '--keys', keys);
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.stdout).toContain('final: 2 of 2 signer(s) needed (a, b)');
    const bad = join(dir, 'tampered.json');
    writeFileSync(bad, JSON.stringify(tampered));
    const notFinal = await runCli(db.env, 'verify-receipt', bad, '--keys', keys);
    expect(notFinal).toMatchObject({ code: 1 });
    expect(notFinal.stdout).toContain(
      `signature not counted: key ${keyIdOf(publicKeyOfSeed(b1))} (signer b): signature_invalid`,
    );
    expect(notFinal.stdout).toContain('not final: 1 of 2 signer(s) needed (a)');

    // a rotates to its second key: what its first key signed still counts for a, and it signs none of it again.
    await close(b);
    if (db.env.DATABASE_URL) await close(a);
    const rotated = await replica(a2, set, '2');
    expect(await rotated.app.get(ReceiptCountersigner).sweep()).toBe(0);
    expect((await finalChain(rotated, id)).every((r) => r.final)).toBe(true);
    const fresh = await settledJob(rotated);
    const unsigned = await new ReceiptsCtx(rotated).chain(fresh);
    expect(unsigned.every((r) => r.final === false && r.signature.key_id === keyIdOf(publicKeyOfSeed(a2)))).toBe(true);
  });

  it('three replicas, k = 2: each countersigns every receipt once, however many sweep at a time', async () => {
    const [a1, b1, c1] = [seed(), seed(), seed()];
    const set = signerSet({ a: [a1], b: [b1], c: [c1] });
    const a = await replica(a1, set, '2');
    const id = await settledJob(a);
    if (db.env.DATABASE_URL) {
      // b, c, and a second process of b, all sweeping the same receipts at once.
      const others = await Promise.all([replica(b1, set, '2'), replica(c1, set, '2'), replica(b1, set, '2')]);
      await Promise.all(others.map((o) => o.app.get(ReceiptCountersigner).sweep()));
    } else {
      // Embedded: one process per database, so the replicas run in turn.
      await close(a);
      for (const key of [b1, c1]) await close(await replica(key, set, '2'));
      open.push(await replica(a1, set, '2'));
    }
    const chain = await finalChain(open[0], id);
    // Every signer's sweep has run: three signatures each, one per signer.
    for (const r of chain) expect([r.final, [...signers(r)].sort()]).toEqual([true, ['a', 'b', 'c']]);
    const rows = await open[0].dataSource.query(
      `SELECT signer_id, count(*)::int AS n FROM receipt_signatures GROUP BY signer_id ORDER BY signer_id`,
    );
    expect(rows).toEqual([
      { signer_id: 'b', n: 3 },
      { signer_id: 'c', n: 3 },
    ]);
  });

  it('without a signer set: one signer, k = 1, receipts served and verified as before', async () => {
    const key = seed();
    const t = await replica(key);
    const id = await settledJob(t);
    const ctx = new ReceiptsCtx(t);
    const chain = await ctx.chain(id);
    for (const r of chain) {
      expect(Object.keys(r).sort()).toEqual(['domain', 'receipt', 'receipt_hash', 'signature', 'version']);
      expect(await ctx.verify(r)).toEqual({ valid: true, key_id: r.signature.key_id, receipt_hash: r.receipt_hash });
    }
    const published = (await t.http().get('/v1/receipts/keys').expect(200)).body;
    expect(published.signer_set).toEqual({
      configured: false,
      threshold: 1,
      signers: [
        { signer_id: 'tally', keys: [{ key_id: keyIdOf(publicKeyOfSeed(key)), public_key: publicKeyOfSeed(key) }] },
      ],
    });
    expect(verifyQuorum(chain[0], published.signer_set)).toMatchObject({ final: true, signed_by: ['tally'] });
    expect(await t.app.get(ReceiptCountersigner).sweep()).toBe(0);
    expect(await t.dataSource.query(`SELECT count(*)::int AS n FROM receipt_signatures`)).toEqual([{ n: 0 }]);
  });

  it('refuses to start on a wrong signer set, naming the fix', async () => {
    const [a1, b1] = [seed(), seed()];
    const set = signerSet({ a: [a1], b: [b1] });
    // A start that fails after opening an embedded database keeps it (the process exits): each gets its own.
    const scratch = (): TestDatabase =>
      db.env.DATABASE_URL
        ? db
        : { env: { TALLY_DATA_DIR: mkdtempSync(join(dir, 'db-')) }, drop: async () => undefined };
    const tooMany = replica(a1, set, '3', '50', scratch());
    await expect(tooMany).rejects.toThrow(SignerSetConfigError);
    await expect(tooMany).rejects.toThrow(/RECEIPT_QUORUM \(3\): the threshold must be an integer from 1 to 2/);
    await expect(replica(seed(), set, '2', '50', scratch())).rejects.toThrow(
      /RECEIPT_SIGNER_SET does not list this replica's signing key \(public key [0-9a-f]{64}/,
    );
    await expect(replica(a1, '', '2')).rejects.toThrow(InvalidEnvironmentError);
    await expect(replica(a1, '', '2')).rejects.toThrow(/RECEIPT_QUORUM: needs RECEIPT_SIGNER_SET/);
    // A file path works as well as the JSON itself.
    const file = join(dir, 'signers.json');
    writeFileSync(file, set);
    const t = await replica(a1, file, '1');
    expect((await t.http().get('/v1/receipts/keys').expect(200)).body.signer_set).toMatchObject({ threshold: 1 });
  });
});
