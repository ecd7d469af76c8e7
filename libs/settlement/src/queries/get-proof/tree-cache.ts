import { Injectable } from '@nestjs/common';
import { MerkleSumTree, MerkleTree } from '@tally/receipts';
import type { AccountBalance } from '../../domain';
import { SettlementRepository } from '../../persistence/settlement.repository';

export interface TransfersTree {
  tree: MerkleTree;
  /** transfer id → leaf position. */
  positions: Map<string, number>;
}

export interface BalancesTree {
  tree: MerkleSumTree;
  accounts: AccountBalance[];
  /** "kind/owner" → leaf position. */
  positions: Map<string, number>;
}

/** Trees kept per kind: the newest batches are the ones asked about. */
const KEEP = 4;

/**
 * Built trees of recent batches, in memory, so a proof is a walk up stored levels (well
 * under a millisecond) instead of a rebuild. The sealer puts the trees it just built; any
 * other batch (or replica) builds from the stored leaves on the first ask. Sealed batches
 * never change, so entries never go stale.
 */
@Injectable()
export class TreeCache {
  private readonly transfers = new Map<number, Promise<TransfersTree>>();
  private readonly balances = new Map<number, Promise<BalancesTree>>();

  constructor(private readonly repo: SettlementRepository) {}

  putTransfers(batchNo: number, ids: string[], leaves: Buffer[]): void {
    remember(this.transfers, batchNo, Promise.resolve(transfersTree(ids, leaves)));
  }

  putBalances(batchNo: number, tree: MerkleSumTree, accounts: AccountBalance[]): void {
    remember(this.balances, batchNo, Promise.resolve(balancesTree(tree, accounts)));
  }

  transfersOf(batchNo: number): Promise<TransfersTree> {
    return cached(this.transfers, batchNo, async () => {
      const { ids, leaves } = await this.repo.batchLeaves(batchNo);
      return transfersTree(ids, leaves);
    });
  }

  balancesOf(batchNo: number): Promise<BalancesTree> {
    return cached(this.balances, batchNo, async () => {
      const accounts = await this.repo.balancesAt(batchNo);
      return balancesTree(MerkleSumTree.fromLeaves(accounts.map((a) => a.leaf)), accounts);
    });
  }
}

function transfersTree(ids: string[], leaves: Buffer[]): TransfersTree {
  return { tree: MerkleTree.fromLeafHashes(leaves), positions: new Map(ids.map((id, i) => [id, i])) };
}

function balancesTree(tree: MerkleSumTree, accounts: AccountBalance[]): BalancesTree {
  return { tree, accounts, positions: new Map(accounts.map((a, i) => [`${a.kind}/${a.owner}`, i])) };
}

function remember<T>(map: Map<number, Promise<T>>, key: number, value: Promise<T>): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > KEEP) map.delete(map.keys().next().value!);
}

function cached<T>(map: Map<number, Promise<T>>, key: number, build: () => Promise<T>): Promise<T> {
  const hit = map.get(key);
  if (hit) {
    remember(map, key, hit); // most recently used last
    return hit;
  }
  const value = build();
  remember(map, key, value);
  value.catch(() => map.delete(key)); // a failed build is not cached
  return value;
}
