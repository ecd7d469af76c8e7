/**
 * Settlement benchmark: seals batches of 10,000, 50,000 and 100,000 transfers over 10,000
 * accounts and times each seal, then one transfer proof and one account proof, warm (the
 * sealing process, which keeps the trees it built) and cold (a second process, which
 * builds the tree from the stored leaves first); then recomputes the batch chain and the
 * ledger as `ledger verify` does.
 * The data goes in through the ledger's own posting path (set-based batches in one
 * transaction each), so counters, entries and hash chains are exactly what the app makes.
 * Usage: npm run bench:settlement   (DATABASE_URL optional; BENCH_SKIP_LEDGER_VERIFY=1 skips the slow part)
 */
import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { QueryBus, CommandBus } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { UnitOfWork } from '@tally/database';
import { ISSUANCE, LedgerVerifier, LedgerWriter, type PostingRequest, simpleLegs, userAccount } from '@tally/ledger';
import { type SealedBatch, verifyAccountProof, verifyTransferProof } from '@tally/receipts';
import { GetAccountProofQuery, GetTransferProofQuery, SealBatchCommand, SettlementVerifier } from '@tally/settlement';
import { AppModule } from '../../apps/api/src/app.module';
import { freshDatabase } from './bench-support';

const ACCOUNTS = 10_000;
const SIZES = [10_000, 50_000, 100_000];
const POST_BATCH = 2_000;

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

async function startApp(env: Record<string, string>): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(env), { logger: ['error', 'warn'] });
  await app.init();
  return app;
}

async function post(app: INestApplicationContext, requests: PostingRequest[]): Promise<void> {
  const uow = app.get(UnitOfWork);
  const writer = app.get(LedgerWriter);
  for (let i = 0; i < requests.length; i += POST_BATCH) {
    const results = await uow.run(() => writer.postAll(requests.slice(i, i + POST_BATCH)));
    const failed = results.find((r) => r.outcome !== 'posted');
    if (failed) throw new Error(`posting failed: ${JSON.stringify(failed)}`);
  }
}

/** `count` transfers: first a mint to each account, then random moves of a few micros between accounts. */
function transfers(count: number, minted: { done: boolean }): PostingRequest[] {
  const out: PostingRequest[] = [];
  if (!minted.done) {
    for (let a = 0; a < ACCOUNTS && out.length < count; a++) {
      out.push({
        id: randomUUID(),
        kind: 'mint',
        legs: simpleLegs(ISSUANCE, userAccount(`acct-${a}`), 1_000_000_000n),
      });
    }
    minted.done = true;
  }
  while (out.length < count) {
    const from = Math.floor(Math.random() * ACCOUNTS);
    const to = (from + 1 + Math.floor(Math.random() * (ACCOUNTS - 1))) % ACCOUNTS;
    const amount = BigInt(1 + Math.floor(Math.random() * 1000));
    out.push({
      id: randomUUID(),
      kind: 'transfer',
      legs: simpleLegs(userAccount(`acct-${from}`), userAccount(`acct-${to}`), amount),
    });
  }
  return out;
}

async function timeProofs(app: INestApplicationContext, batch: SealedBatch, label: string): Promise<void> {
  const queries = app.get(QueryBus);
  const ds = app.get(DataSource);
  const [{ id }] = await ds.query(
    `SELECT transfer_id::text AS id FROM settlement_batch_transfers WHERE batch_no = $1 ORDER BY random() LIMIT 1`,
    [batch.batch_no],
  );
  const owner = `acct-${Math.floor(Math.random() * ACCOUNTS)}`;
  for (const round of ['first', 'second']) {
    let t0 = process.hrtime.bigint();
    const tp = await queries.execute(new GetTransferProofQuery(batch.batch_no, id));
    const transferMs = ms(t0);
    t0 = process.hrtime.bigint();
    const ap = await queries.execute(new GetAccountProofQuery(batch.batch_no, 'user', owner));
    const accountMs = ms(t0);
    if (!verifyTransferProof(batch, tp).valid || !verifyAccountProof(batch, ap).valid)
      throw new Error('a proof failed');
    console.log(
      `  ${label}, ${round} proof: transfer ${transferMs.toFixed(2)} ms (${tp.siblings.length} siblings)   ` +
        `account ${accountMs.toFixed(2)} ms (${ap.siblings.length} siblings)`,
    );
  }
}

async function main(): Promise<void> {
  const db = await freshDatabase('tally_bench_settle');
  const env = {
    DATABASE_URL: db.url,
    RECEIPT_SIGNING_KEY_HEX: randomBytes(32).toString('hex'),
    SETTLEMENT_ENABLED: 'false',
    SCHEDULER_ENABLED: 'false',
    LOG_LEVEL: 'warn',
    DATABASE_POOL_SIZE: '8',
  };
  const app = await startApp(env);
  let other: INestApplicationContext | undefined;
  try {
    const minted = { done: false };
    const seals: { size: number; ms: number }[] = [];
    let last: SealedBatch | null = null;
    for (const size of SIZES) {
      let t0 = process.hrtime.bigint();
      await post(app, transfers(size, minted));
      const loadMs = ms(t0);
      t0 = process.hrtime.bigint();
      const batch = await app.get(CommandBus).execute(new SealBatchCommand());
      const sealMs = ms(t0);
      if (!batch || batch.transfer_count !== size)
        throw new Error(`expected a batch of ${size}, got ${batch?.transfer_count}`);
      seals.push({ size, ms: sealMs });
      console.log(
        `batch ${batch.batch_no}: ${size.toLocaleString('en')} transfers over ${batch.account_count.toLocaleString('en')} accounts ` +
          `sealed in ${(sealMs / 1000).toFixed(2)} s  (${((size / sealMs) * 1000).toFixed(0)} transfers/s; loading took ${(loadMs / 1000).toFixed(1)} s)`,
      );
      await timeProofs(app, batch, 'sealing process');
      last = batch;
    }
    const per = seals.map((s) => `${s.size / 1000}k: ${((s.ms / s.size) * 1000).toFixed(1)} µs`).join('   ');
    console.log(`seal time per transfer (flat = linear): ${per}`);

    other = await startApp(env);
    await timeProofs(other, last!, 'another process (cold: builds the tree first)');
    await other.close();
    other = undefined;

    let t0 = process.hrtime.bigint();
    const settlement = await app.get(SettlementVerifier).verify();
    console.log(
      `batch chain verified in ${(ms(t0) / 1000).toFixed(1)} s: ${settlement.batches} batches, ` +
        `${settlement.transfers} transfers, ${settlement.problems.length} problem(s)`,
    );
    settlement.problems.slice(0, 10).forEach((p) => console.log(`  - ${p}`));
    if (!process.env.BENCH_SKIP_LEDGER_VERIFY) {
      t0 = process.hrtime.bigint();
      const ledger = await app.get(LedgerVerifier).verify();
      console.log(`ledger verified in ${(ms(t0) / 1000).toFixed(1)} s: ${ledger.problems.length} problem(s)`);
      ledger.problems.slice(0, 10).forEach((p) => console.log(`  - ${p}`));
    }
  } finally {
    await other?.close();
    await app.close();
    await db.drop();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
