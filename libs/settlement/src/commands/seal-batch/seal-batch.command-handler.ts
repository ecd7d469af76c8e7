import { Logger } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { OutboxWriter, UnitOfWork } from '@tally/database';
import { Clock } from '@tally/shared';
import {
  batchHash,
  batchStatementBytes,
  BATCH_DOMAIN,
  GENESIS_BATCH_HASH,
  type BatchStatement,
  type SealedBatch,
  SETTLEMENT_VERSION,
  SigningKeyring,
} from '@tally/receipts';
import { computeBatch, SinkChain } from '../../domain';
import { SettlementRepository } from '../../persistence/settlement.repository';
import { TreeCache } from '../../queries/get-proof/tree-cache';
import { SETTLEMENT_BATCH_SEALED } from '../../events/settlement.events';
import { SealBatchCommand } from './seal-batch.command';

/**
 * Seals batch n+1 in one transaction, one replica at a time (advisory lock, so batch
 * numbers are gapless). Membership is by inserting transaction id: the horizon h is the
 * oldest transaction of this database still running, so every transfer below it has
 * committed (or never will), and the batch takes exactly [previous horizon, h). A transfer still in flight
 * with a lower sequence number is therefore never skipped: it lands in a later batch.
 * Balances after the batch are the previous batch's plus this batch's posted deltas,
 * never the accounts' current counters (they may include transfers beyond the horizon).
 */
const HORIZON_WAIT_MS = 500;

@CommandHandler(SealBatchCommand)
export class SealBatchCommandHandler implements ICommandHandler<SealBatchCommand, SealedBatch | null> {
  private readonly logger = new Logger(SealBatchCommandHandler.name);

  constructor(
    private readonly repo: SettlementRepository,
    private readonly uow: UnitOfWork,
    private readonly outbox: OutboxWriter,
    private readonly clock: Clock,
    private readonly keyring: SigningKeyring,
    private readonly cache: TreeCache,
    private readonly chain: SinkChain,
  ) {}

  /**
   * The horizon, after waiting a little (HORIZON_WAIT_MS at most) while committed transfers
   * sit beyond it: some short transaction (a posting batch, a background tick) is usually
   * in flight, and a seal asked for right after a commit should include that commit. A
   * transaction that stays open longer only delays its successors to the next seal.
   */
  private async settledHorizon(): Promise<string> {
    // A stopwatch, not the Clock: it bounds a real wait, which a pinned clock would never end.
    const deadline = Date.now() + HORIZON_WAIT_MS;
    let horizon = await this.repo.horizon();
    while (Date.now() < deadline && (await this.repo.anyBeyond(horizon))) {
      await new Promise((r) => setTimeout(r, 10));
      horizon = await this.repo.horizon();
    }
    return horizon;
  }

  async execute(): Promise<SealedBatch | null> {
    let timings: Record<string, number> = {};
    // One attempt: a seal that loses a conflict is retried by the next tick or request, as before.
    const sealed = await this.uow.run(async () => {
      await this.repo.lockSeal();
      const last = await this.repo.lastBatch();
      const from = last?.horizon ?? '0';
      const snapshotXmin = await this.settledHorizon();
      const horizon = BigInt(snapshotXmin) < BigInt(from) ? from : snapshotXmin;
      if (!(await this.repo.anyMember(from, horizon))) return null;

      const t0 = Date.now();
      const members = await this.repo.members(from, horizon);
      const batchNo = (last?.batch_no ?? 0) + 1;
      // Every account's balance after the previous batch (the leaves of its balances tree).
      const balances = new Map((last ? await this.repo.balancesAt(last.batch_no) : []).map((a) => [a.accountId, a]));
      const t2 = Date.now();
      const computed = computeBatch(members, balances, BigInt(last?.total_supply ?? '0'), SETTLEMENT_VERSION);
      const t3 = Date.now();
      const statement: BatchStatement = {
        domain: BATCH_DOMAIN,
        version: SETTLEMENT_VERSION,
        batch_no: batchNo,
        prev_batch_hash: last?.batch_hash ?? GENESIS_BATCH_HASH,
        horizon,
        first_seq: computed.firstSeq,
        last_seq: computed.lastSeq,
        transfer_count: members.length,
        transfers_root: computed.transfersRoot,
        balances_root: computed.balancesTree.root.hash,
        account_count: computed.accounts.length,
        total_supply: computed.totalSupply.toString(),
        created_at: this.clock.now().toISOString(),
        key_id: this.keyring.keyId,
      };
      const { key_id, signature } = this.keyring.sign(batchStatementBytes(statement));
      const batch: SealedBatch = { ...statement, key_id, batch_hash: batchHash(statement), signature };
      await this.repo.insertBatch(
        batch,
        computed.transferIds,
        computed.transferLeaves,
        computed.touched,
        // Every batch waits for the primary; a fallback is queued only while the chain fails over.
        this.chain.primary?.name,
      );
      // Partitioned apart from job ids (digits too), which other rows are keyed by.
      await this.outbox.append(SETTLEMENT_BATCH_SEALED, `settlement-batch:${batch.batch_no}`, batch);
      timings = { read_ms: t2 - t0, compute_ms: t3 - t2, write_ms: Date.now() - t3 };
      return { batch, computed };
    }, 1);
    if (!sealed) return null;
    const { batch, computed } = sealed;
    this.cache.putTransfers(batch.batch_no, computed.transferIds, computed.transferLeaves);
    this.cache.putBalances(batch.batch_no, computed.balancesTree, computed.accounts);
    this.logger.log(
      { batch_no: batch.batch_no, transfer_count: batch.transfer_count, horizon: batch.horizon, ...timings },
      'settlement batch sealed',
    );
    return batch;
  }
}
