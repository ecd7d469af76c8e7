import type { JournalTransferRow } from '@tally/ledger';
import {
  accountLeaf,
  MerkleSumTree,
  MerkleTree,
  SumNode,
  TRANSFER_DOMAIN,
  transferLeaf,
  type TransferLeg,
  type TransferStatement,
} from '@tally/receipts';

export interface AccountBalance {
  accountId: string;
  kind: string;
  owner: string;
  balance: bigint;
  /** The sum-tree leaf (computed when the balance is set). */
  leaf: SumNode;
}

export const ISSUANCE_KIND = 'issuance';

/**
 * The canonical statement of a member transfer, in the version of its batch, and its legs
 * with internal account ids. A version 1 batch named a job by its old uuid.
 */
export function parseMember(
  row: JournalTransferRow,
  version: number,
): { statement: TransferStatement; accountIds: string[] } {
  const legs: TransferLeg[] = [];
  const accountIds: string[] = [];
  for (const text of (row.legs ?? '').split(',').filter(Boolean)) {
    const [accountId, kind, owner, side, phase, amount] = text.split(' ');
    accountIds.push(accountId);
    legs.push({
      account_type: kind,
      account_id: owner,
      side: side as TransferLeg['side'],
      phase: phase as TransferLeg['phase'],
      amount,
    });
  }
  return {
    statement: {
      domain: TRANSFER_DOMAIN,
      version,
      id: row.id,
      seq: row.seq,
      kind: row.kind,
      amount: row.amount,
      hold_id: row.hold_id,
      job_id: version === 1 ? (row.legacy_job_id ?? row.job_id) : row.job_id,
      prover_id: row.prover_id,
      created_at: row.created_at,
      legs,
    },
    accountIds,
  };
}

export class BatchComputationError extends Error {}

/** What a batch commits to, computed from its members and the balances after the batch before. */
export interface ComputedBatch {
  transferLeaves: Buffer[];
  transferIds: string[];
  transfersRoot: string;
  firstSeq: string;
  lastSeq: string;
  /** Non-issuance accounts this batch touched, with their balance after it. */
  touched: AccountBalance[];
  balancesTree: MerkleSumTree;
  /** Leaf order of balancesTree. */
  accounts: AccountBalance[];
  totalSupply: bigint;
}

/**
 * Folds a batch's members (in sequence order) into the running balances: `balances` holds
 * every non-issuance account's balance after the previous batch and is updated in place.
 * Balances are posted balances (credits − debits of posted entries); holds move only
 * pending counters and show up once captured. Issuance is left out so every leaf is
 * non-negative, and the root sum must equal the supply: minus the issuance balance.
 */
export function computeBatch(
  members: JournalTransferRow[],
  balances: Map<string, AccountBalance>,
  previousSupply: bigint,
  version: number,
): ComputedBatch {
  if (members.length === 0) throw new BatchComputationError('a batch needs at least one transfer');
  const transferLeaves: Buffer[] = new Array(members.length);
  const transferIds: string[] = new Array(members.length);
  const deltas = new Map<string, { kind: string; owner: string; delta: bigint }>();
  let issuanceDelta = 0n;
  members.forEach((row, i) => {
    const { statement, accountIds } = parseMember(row, version);
    transferLeaves[i] = transferLeaf(statement);
    transferIds[i] = row.id;
    statement.legs.forEach((leg, n) => {
      const amount = leg.phase === 'posted' ? (leg.side === 'C' ? BigInt(leg.amount) : -BigInt(leg.amount)) : 0n;
      if (leg.account_type === ISSUANCE_KIND) {
        issuanceDelta += amount;
        return;
      }
      const d = deltas.get(accountIds[n]) ?? { kind: leg.account_type, owner: leg.account_id, delta: 0n };
      d.delta += amount;
      deltas.set(accountIds[n], d);
    });
  });

  const touched: AccountBalance[] = [];
  for (const [accountId, d] of deltas) {
    const balance = (balances.get(accountId)?.balance ?? 0n) + d.delta;
    if (balance < 0n) throw new BatchComputationError(`${d.kind}/${d.owner} would have a negative balance ${balance}`);
    const entry = { accountId, kind: d.kind, owner: d.owner, balance, leaf: accountLeaf(d.kind, d.owner, balance) };
    balances.set(accountId, entry);
    touched.push(entry);
  }
  const accounts = sortAccounts([...balances.values()]);
  const balancesTree = MerkleSumTree.fromLeaves(accounts.map((a) => a.leaf));
  const totalSupply = previousSupply - issuanceDelta;
  if (balancesTree.root.sum !== totalSupply) {
    throw new BatchComputationError(`balances sum to ${balancesTree.root.sum} but the supply is ${totalSupply}`);
  }
  const transfersTree = MerkleTree.fromLeafHashes(transferLeaves);
  return {
    transferLeaves,
    transferIds,
    transfersRoot: transfersTree.root,
    firstSeq: minSeq(members),
    lastSeq: maxSeq(members),
    touched,
    balancesTree,
    accounts,
    totalSupply,
  };
}

/** Leaf order of the balances tree: by account type, then account id (code-unit order, not a collation). */
export function sortAccounts(accounts: AccountBalance[]): AccountBalance[] {
  return accounts.sort((a, b) =>
    a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.owner < b.owner ? -1 : a.owner > b.owner ? 1 : 0,
  );
}

const minSeq = (rows: JournalTransferRow[]) =>
  rows.reduce((m, r) => (BigInt(r.seq) < BigInt(m) ? r.seq : m), rows[0].seq);
const maxSeq = (rows: JournalTransferRow[]) =>
  rows.reduce((m, r) => (BigInt(r.seq) > BigInt(m) ? r.seq : m), rows[0].seq);
