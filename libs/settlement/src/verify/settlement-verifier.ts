import { Injectable } from '@nestjs/common';
import { type SealedBatch, verifyBatch, verifyBatchLink } from '@tally/receipts';
import { type AccountBalance, BatchComputationError, computeBatch, type ComputedBatch } from '../domain';
import { SettlementRepository } from '../persistence/settlement.repository';

export interface SettlementVerifyReport {
  batches: number;
  transfers: number;
  problems: string[];
}

const PAGE = 100;

/**
 * Recomputes the batch chain from the journal: each batch's hash and signature (against
 * every published key, retired ones included), its link to the batch before, its members
 * (the transfers in its horizon range), both roots, the supply and what was stored to
 * serve proofs; and that every transfer below the last horizon is in exactly one batch.
 */
@Injectable()
export class SettlementVerifier {
  constructor(private readonly repo: SettlementRepository) {}

  async verify(): Promise<SettlementVerifyReport> {
    const problems: string[] = [];
    // Published keys live with the receipts (one keyring signs both); read as stored.
    const keys = await this.repo.publishedKeys();
    const balances = new Map<string, AccountBalance>();
    let supply = 0n;
    let previous: SealedBatch | null = null;
    let count = 0;
    let transfers = 0;
    for (;;) {
      const page = await this.repo.batches(previous?.batch_no ?? 0, PAGE);
      for (const batch of page) {
        const name = `batch ${batch.batch_no}`;
        const signed = verifyBatch(batch, keys);
        if (!signed.valid) problems.push(`${name}: ${signed.reason}`);
        const link = verifyBatchLink(batch, previous);
        if (!link.valid) problems.push(`${name}: ${link.reason}`);
        const members = await this.repo.members(previous?.horizon ?? '0', batch.horizon);
        let computed: ComputedBatch | null = null;
        try {
          computed = computeBatch(members, balances, supply, batch.version);
        } catch (error) {
          if (!(error instanceof BatchComputationError)) throw error;
          problems.push(`${name}: ${error.message}`);
        }
        if (computed) {
          problems.push(...(await this.compare(batch, computed)));
          supply = computed.totalSupply;
        }
        transfers += batch.transfer_count;
        previous = batch;
        count++;
      }
      if (page.length < PAGE) break;
    }
    if (previous) {
      const row = await this.repo.transferCounts(previous.horizon);
      if (row.below !== transfers) {
        problems.push(`${row.below} transfers lie below the last horizon but the batches count ${transfers}`);
      }
      if (row.batched !== transfers) {
        problems.push(`${row.batched} transfers are recorded in batches but the batches count ${transfers}`);
      }
    }
    return { batches: count, transfers, problems };
  }

  private async compare(batch: SealedBatch, c: ComputedBatch): Promise<string[]> {
    const name = `batch ${batch.batch_no}`;
    const out: string[] = [];
    const fields: [string, string, string][] = [
      ['transfer_count', String(batch.transfer_count), String(c.transferIds.length)],
      ['first_seq', batch.first_seq, c.firstSeq],
      ['last_seq', batch.last_seq, c.lastSeq],
      ['transfers_root', batch.transfers_root, c.transfersRoot],
      ['balances_root', batch.balances_root, c.balancesTree.root.hash],
      ['account_count', String(batch.account_count), String(c.accounts.length)],
      ['total_supply', batch.total_supply, c.totalSupply.toString()],
    ];
    for (const [field, stored, recomputed] of fields) {
      if (stored !== recomputed) out.push(`${name}: ${field} is ${stored} but the journal gives ${recomputed}`);
    }
    // What proofs are served from must match the journal too.
    const stored = await this.repo.batchLeaves(batch.batch_no);
    const leavesMatch =
      stored.ids.length === c.transferIds.length &&
      stored.ids.every((id, i) => id === c.transferIds[i] && stored.leaves[i].equals(c.transferLeaves[i]));
    if (!leavesMatch) out.push(`${name}: its stored transfer leaves differ from its members in the journal`);
    const rows = await this.repo.touchedBalances(batch.batch_no);
    const expected = new Map(c.touched.map((t) => [t.accountId, t]));
    const balancesMatch =
      rows.length === expected.size &&
      rows.every((r) => {
        const t = expected.get(r.account_id);
        return t !== undefined && t.balance.toString() === r.balance && t.leaf.hash.equals(r.leaf_hash);
      });
    if (!balancesMatch) out.push(`${name}: its stored balances differ from the journal`);
    return out;
  }
}
