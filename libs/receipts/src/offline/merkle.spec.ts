import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import {
  EMPTY_ROOT,
  encodeSum,
  merkleLeafHash,
  merkleNodeHash,
  MerkleSumTree,
  MerkleTree,
  sumLeaf,
  verifyMerkleProof,
  verifyMerkleSumProof,
} from './merkle';

const flipHex = (hex: string) => (hex[0] === '0' ? '1' : '0') + hex.slice(1);
const leavesArb = fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 70 });
const sumLeavesArb = fc.array(
  fc.record({ data: fc.uint8Array({ minLength: 1, maxLength: 24 }), sum: fc.bigInt({ min: 0n, max: 10n ** 15n }) }),
  { minLength: 1, maxLength: 70 },
);

describe('Merkle tree', () => {
  it('hashes leaves and nodes with distinct prefixes and promotes an odd node unchanged', () => {
    const [a, b, c] = ['a', 'b', 'c'].map((x) => merkleLeafHash(Buffer.from(x)));
    expect(a).toEqual(
      createHash('sha256')
        .update(Buffer.from([0]))
        .update('a')
        .digest(),
    );
    const tree = MerkleTree.fromLeafHashes([a, b, c]);
    expect(tree.root).toBe(merkleNodeHash(merkleNodeHash(a, b), c).toString('hex'));
    // A node cannot pose as a leaf: the leaf of (a ‖ b) is not the node over a and b.
    expect(merkleLeafHash(Buffer.concat([a, b]))).not.toEqual(merkleNodeHash(a, b));
    expect(MerkleTree.fromLeafHashes([]).root).toBe(EMPTY_ROOT);
    expect(MerkleTree.fromLeafHashes([a]).root).toBe(a.toString('hex'));
    expect(tree.proof(2).siblings).toEqual([merkleNodeHash(a, b).toString('hex')]);
  });

  it('every proof verifies against the root', () => {
    fc.assert(
      fc.property(leavesArb, (leaves) => {
        const hashes = leaves.map((l) => merkleLeafHash(Buffer.from(l)));
        const tree = MerkleTree.fromLeafHashes(hashes);
        hashes.forEach((h, i) => expect(verifyMerkleProof(h, tree.proof(i), tree.root)).toBe(true));
      }),
    );
  });

  it('an altered leaf, sibling, index, leaf count or root fails', () => {
    fc.assert(
      fc.property(leavesArb, fc.nat(), fc.nat(), (leaves, pick, which) => {
        const hashes = leaves.map((l) => merkleLeafHash(Buffer.concat([Buffer.from(l), randomBytes(4)])));
        const tree = MerkleTree.fromLeafHashes(hashes);
        const i = pick % hashes.length;
        const proof = tree.proof(i);
        expect(verifyMerkleProof(merkleLeafHash(Buffer.from('other')), proof, tree.root)).toBe(false);
        expect(verifyMerkleProof(hashes[i], proof, flipHex(tree.root))).toBe(false);
        if (proof.siblings.length > 0) {
          const s = which % proof.siblings.length;
          const siblings = proof.siblings.map((x, k) => (k === s ? flipHex(x) : x));
          expect(verifyMerkleProof(hashes[i], { ...proof, siblings }, tree.root)).toBe(false);
          expect(verifyMerkleProof(hashes[i], { ...proof, siblings: proof.siblings.slice(1) }, tree.root)).toBe(false);
        }
        if (hashes.length > 1) {
          const other = (i + 1 + (which % (hashes.length - 1))) % hashes.length;
          expect(verifyMerkleProof(hashes[i], { ...proof, leaf_index: other }, tree.root)).toBe(false);
        }
        expect(verifyMerkleProof(hashes[i], { ...proof, leaf_index: hashes.length }, tree.root)).toBe(false);
        expect(verifyMerkleProof(hashes[i], { ...proof, siblings: [...proof.siblings, tree.root] }, tree.root)).toBe(
          false,
        );
      }),
    );
  });

  // The time a proof takes is measured by `npm run bench:settlement`, not here.
  it('builds 100,000 leaves and proves one with a logarithmic path', () => {
    const hashes = Array.from({ length: 100_000 }, (_, i) => merkleLeafHash(Buffer.from(String(i))));
    const tree = MerkleTree.fromLeafHashes(hashes);
    const proof = tree.proof(77_777);
    expect(proof.siblings.length).toBeLessThanOrEqual(Math.ceil(Math.log2(100_000)));
    expect(verifyMerkleProof(hashes[77_777], proof, tree.root)).toBe(true);
    expect(verifyMerkleProof(hashes[77_778], proof, tree.root)).toBe(false);
  });
});

describe('Merkle sum tree', () => {
  it('hashes both children with their sums and sums them', () => {
    const a = sumLeaf(Buffer.from('a'), 5n);
    const b = sumLeaf(Buffer.from('b'), 7n);
    const c = sumLeaf(Buffer.from('c'), 0n);
    expect(a.hash).toEqual(
      createHash('sha256')
        .update(Buffer.concat([Buffer.from([0]), Buffer.from('a'), encodeSum(5n)]))
        .digest(),
    );
    const tree = MerkleSumTree.fromLeaves([a, b, c]);
    const ab = createHash('sha256')
      .update(Buffer.concat([Buffer.from([1]), a.hash, encodeSum(5n), b.hash, encodeSum(7n)]))
      .digest();
    const root = createHash('sha256')
      .update(Buffer.concat([Buffer.from([1]), ab, encodeSum(12n), c.hash, encodeSum(0n)]))
      .digest();
    expect(tree.root).toEqual({ hash: root.toString('hex'), sum: 12n });
    expect(MerkleSumTree.fromLeaves([]).root).toEqual({ hash: EMPTY_ROOT, sum: 0n });
    expect(() => sumLeaf(Buffer.from('x'), -1n)).toThrow(RangeError);
    expect(() => encodeSum(1n << 64n)).toThrow(RangeError);
  });

  it('every proof verifies and the root sum is the total', () => {
    fc.assert(
      fc.property(sumLeavesArb, (items) => {
        const leaves = items.map((x) => sumLeaf(Buffer.from(x.data), x.sum));
        const tree = MerkleSumTree.fromLeaves(leaves);
        expect(tree.root.sum).toBe(items.reduce((s, x) => s + x.sum, 0n));
        leaves.forEach((l, i) => expect(verifyMerkleSumProof(l, tree.proof(i), tree.root)).toBe(true));
      }),
    );
  });

  it('an altered leaf, leaf sum, sibling hash, sibling sum, index or root fails', () => {
    fc.assert(
      fc.property(sumLeavesArb, fc.nat(), fc.nat(), (items, pick, which) => {
        const leaves = items.map((x) => sumLeaf(Buffer.concat([Buffer.from(x.data), randomBytes(4)]), x.sum));
        const tree = MerkleSumTree.fromLeaves(leaves);
        const i = pick % leaves.length;
        const leaf = leaves[i];
        const proof = tree.proof(i);
        const ok = (l: typeof leaf, p: typeof proof, r = tree.root) => verifyMerkleSumProof(l, p, r);
        expect(ok({ hash: leaf.hash, sum: leaf.sum + 1n }, proof)).toBe(false);
        expect(ok(sumLeaf(Buffer.from('other'), leaf.sum), proof)).toBe(false);
        expect(ok(leaf, proof, { ...tree.root, sum: tree.root.sum + 1n })).toBe(false);
        expect(ok(leaf, proof, { ...tree.root, hash: flipHex(tree.root.hash) })).toBe(false);
        if (proof.siblings.length > 0) {
          const s = which % proof.siblings.length;
          const alter = (f: (x: { hash: string; sum: string }) => { hash: string; sum: string }) => ({
            ...proof,
            siblings: proof.siblings.map((x, k) => (k === s ? f(x) : x)),
          });
          expect(
            ok(
              leaf,
              alter((x) => ({ ...x, hash: flipHex(x.hash) })),
            ),
          ).toBe(false);
          expect(
            ok(
              leaf,
              alter((x) => ({ ...x, sum: String(BigInt(x.sum) + 1n) })),
            ),
          ).toBe(false);
          // A negative sibling sum that would keep the total right is refused outright.
          expect(
            ok(
              leaf,
              alter((x) => ({ ...x, sum: String(-BigInt(x.sum) - 1n) })),
            ),
          ).toBe(false);
        }
        if (leaves.length > 1) {
          const other = (i + 1 + (which % (leaves.length - 1))) % leaves.length;
          expect(ok(leaf, { ...proof, leaf_index: other })).toBe(false);
        }
      }),
    );
  });

  // Build and proof times are measured by `npm run bench:settlement`, not here.
  it('builds 10,000 leaves and proves the first, a middle and the last one', () => {
    const leaves = Array.from({ length: 10_000 }, (_, i) => sumLeaf(Buffer.from(`acct-${i}`), BigInt(i)));
    const tree = MerkleSumTree.fromLeaves(leaves);
    for (const i of [0, 4321, 9999]) {
      const proof = tree.proof(i);
      // At most one sibling per level (a node without a pair moves up unhashed).
      expect(proof.siblings.length).toBeLessThanOrEqual(Math.ceil(Math.log2(10_000)));
      expect(verifyMerkleSumProof(leaves[i], proof, tree.root)).toBe(true);
    }
  });
});
