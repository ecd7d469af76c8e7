import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { canonicalBytes, keyIdOf, publicKeyOfSeed, signEd25519 } from './crypto';
import {
  accountLeaf,
  type BatchStatement,
  batchHash,
  batchStatementBytes,
  GENESIS_BATCH_HASH,
  type SealedBatch,
  type TransferStatement,
  transferHash,
  transferLeaf,
  transferStatementBytes,
  verifyAccountProof,
  verifyBatch,
  verifyBatchLink,
  verifyTransferProof,
} from './batch';
import { merkleLeafHash, MerkleSumTree, MerkleTree } from './merkle';

const text = fc.string({ unit: 'binary', maxLength: 12 });
const statementArb: fc.Arbitrary<TransferStatement> = fc.record({
  domain: fc.constant('tally.settlement.transfer' as const),
  version: fc.constant(1),
  id: fc.uuid(),
  seq: fc.bigInt({ min: 1n, max: 2n ** 63n - 1n }).map(String),
  kind: text,
  amount: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }).map(String),
  hold_id: fc.option(fc.uuid()),
  job_id: fc.option(text),
  prover_id: fc.option(text),
  created_at: fc.date({ noInvalidDate: true }).map((d) => d.toISOString().replace('Z', '123Z')),
  legs: fc.array(
    fc.record({
      account_type: text,
      account_id: text,
      side: fc.constantFrom('D' as const, 'C' as const),
      phase: fc.constantFrom('posted' as const, 'pending' as const, 'release' as const),
      amount: fc.bigInt({ min: 1n, max: 10n ** 12n }).map(String),
    }),
    { maxLength: 4 },
  ),
});

function sealed(statement: Omit<BatchStatement, 'key_id'>, seed: string): SealedBatch {
  const full = { ...statement, key_id: keyIdOf(publicKeyOfSeed(seed)) };
  return { ...full, batch_hash: batchHash(full), signature: signEd25519(seed, batchStatementBytes(full)) };
}

describe('settlement batch statements', () => {
  it('the seal’s hand-written transfer bytes are exactly the RFC 8785 bytes', () => {
    fc.assert(
      fc.property(statementArb, (t) => {
        expect(transferStatementBytes(t).equals(canonicalBytes(t))).toBe(true);
        expect(transferLeaf(t).equals(merkleLeafHash(transferHash(t)))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  // Version 1 batches (sealed while job ids were uuids) verify as version 2 ones do.
  it.each([1, 2])(
    'verifies a version %i batch, its link, a transfer proof and an account proof; any change fails with a reason',
    (version) => {
      const seed = randomBytes(32).toString('hex');
      const keys = [{ key_id: keyIdOf(publicKeyOfSeed(seed)), public_key: publicKeyOfSeed(seed) }];
      const transfers = fc.sample(statementArb, 5).map((t) => ({ ...t, version }));
      const tree = MerkleTree.fromLeafHashes(transfers.map(transferLeaf));
      const accounts = [
        ['user', 'alice', 5n],
        ['user', 'bob', 0n],
        ['provider', 'p1', 7n],
      ] as const;
      const sumTree = MerkleSumTree.fromLeaves(accounts.map(([k, o, b]) => accountLeaf(k, o, b)));
      const batch = sealed(
        {
          domain: 'tally.settlement.batch',
          version,
          batch_no: 1,
          prev_batch_hash: GENESIS_BATCH_HASH,
          horizon: '1000',
          first_seq: '1',
          last_seq: '5',
          transfer_count: 5,
          transfers_root: tree.root,
          balances_root: sumTree.root.hash,
          account_count: 3,
          total_supply: '12',
          created_at: new Date().toISOString(),
        },
        seed,
      );
      expect(verifyBatch(batch, keys)).toEqual({ valid: true });
      expect(verifyBatch(sealed({ ...batch, version: 3 }, seed), keys)).toEqual({
        valid: false,
        reason: 'unsupported version 3',
      });
      expect(verifyBatch({ ...batch, horizon: '1001' }, keys)).toEqual({
        valid: false,
        reason: 'batch_hash does not match the statement',
      });
      const other = randomBytes(32).toString('hex');
      expect(verifyBatch({ ...batch, signature: sealed(batch, other).signature }, keys).valid).toBe(false);
      expect(verifyBatch(batch, [{ ...keys[0], public_key: publicKeyOfSeed(other) }])).toEqual({
        valid: false,
        reason: 'the published key does not hash to its key_id',
      });
      const next = sealed({ ...batch, batch_no: 2, prev_batch_hash: batch.batch_hash, horizon: '1200' }, seed);
      expect(verifyBatchLink(batch, null)).toEqual({ valid: true });
      expect(verifyBatchLink(next, batch)).toEqual({ valid: true });
      expect(verifyBatchLink({ ...next, prev_batch_hash: GENESIS_BATCH_HASH }, batch).valid).toBe(false);
      expect(verifyBatchLink({ ...next, batch_no: 3 }, batch).valid).toBe(false);

      transfers.forEach((t, i) => {
        const proof = { batch_no: 1, transfer: t, transfer_hash: transferHash(t).toString('hex'), ...tree.proof(i) };
        expect(verifyTransferProof(batch, proof)).toEqual({ valid: true });
        expect(verifyTransferProof(batch, { ...proof, transfer: { ...t, amount: `${t.amount}1` } })).toEqual({
          valid: false,
          reason: 'transfer_hash does not match the transfer',
        });
        expect(verifyTransferProof(next, proof).valid).toBe(false);
        // A transfer is stated in its batch's version, and in no other.
        const restated = { ...t, version: 3 - version };
        expect(
          verifyTransferProof(batch, {
            ...proof,
            transfer: restated,
            transfer_hash: transferHash(restated).toString('hex'),
          }),
        ).toEqual({ valid: false, reason: 'not a settlement transfer statement' });
      });
      accounts.forEach(([k, o, b], i) => {
        const proof = { batch_no: 1, account_type: k, account_id: o, balance: String(b), ...sumTree.proof(i) };
        expect(verifyAccountProof(batch, proof)).toEqual({ valid: true });
        expect(verifyAccountProof(batch, { ...proof, balance: String(b + 1n) }).valid).toBe(false);
        expect(verifyAccountProof(batch, { ...proof, account_id: `${o}x` }).valid).toBe(false);
        expect(verifyAccountProof({ ...batch, total_supply: '13' }, proof).valid).toBe(false);
      });
    },
  );
});
