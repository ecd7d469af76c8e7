import { canonicalBytes, keyIdOf, publicKeyOfSeed, sha256Hex, signEd25519 } from './crypto';
import { ReceiptSignerSet, signerSetProblem, verifyChainQuorum, verifyQuorum } from './quorum';
import { ReceiptBody, ReceiptCountersignature, ReceiptDocument, receiptStatement, verifyReceiptChain } from './receipt';

const A_OLD = '0a'.repeat(32);
const A_NEW = '0b'.repeat(32);
const B = '0c'.repeat(32);
const C = '0d'.repeat(32);
const OUTSIDER = '0e'.repeat(32);
const IMPOSTOR = '0f'.repeat(32);
const ref = (seed: string) => ({ key_id: keyIdOf(publicKeyOfSeed(seed)), public_key: publicKeyOfSeed(seed) });
const SET: ReceiptSignerSet = {
  threshold: 2,
  signers: [
    { signer_id: 'a', keys: [ref(A_OLD), ref(A_NEW)] },
    { signer_id: 'b', keys: [ref(B)] },
    { signer_id: 'c', keys: [ref(C)] },
  ],
};

function issue(seed: string, prev?: ReceiptDocument, kind: ReceiptBody['kind'] = 'assignment'): ReceiptDocument {
  const receipt: ReceiptBody = {
    receipt_id: `r-${(prev?.receipt.seq ?? 0) + 1}`,
    kind,
    seq: (prev?.receipt.seq ?? 0) + 1,
    network_job_id: '1',
    prev_receipt_hash: prev?.receipt_hash ?? null,
    issued_at: '2026-01-01T00:00:00.000Z',
  };
  const bytes = canonicalBytes(receiptStatement(receipt));
  return {
    ...receiptStatement(receipt),
    receipt_hash: sha256Hex(bytes),
    signature: { key_id: ref(seed).key_id, algorithm: 'ed25519', value: signEd25519(seed, bytes) },
  };
}

/** `signer`'s countersignature by `seed` over the receipt's statement. */
function counter(doc: ReceiptDocument, signer: string, seed: string): ReceiptCountersignature {
  const bytes = canonicalBytes(receiptStatement(doc.receipt, doc.version));
  return { signer_id: signer, key_id: ref(seed).key_id, algorithm: 'ed25519', value: signEd25519(seed, bytes) };
}

describe('k-of-n receipt quorum', () => {
  const doc = issue(A_NEW);

  it('is final once k distinct signers of the set signed, the issuer counting as one', () => {
    expect(verifyQuorum(doc, SET)).toEqual({
      valid: true,
      receipt_hash: doc.receipt_hash,
      final: false,
      threshold: 2,
      signed_by: ['a'],
      rejected: [],
    });
    const two = { ...doc, signatures: [counter(doc, 'a', A_NEW), counter(doc, 'c', C)] };
    expect(verifyQuorum(two, SET)).toMatchObject({ valid: true, final: true, signed_by: ['a', 'c'], rejected: [] });
    // The same signer twice (another of its keys) counts once.
    const twice = { ...doc, signatures: [counter(doc, 'a', A_OLD)] };
    expect(verifyQuorum(twice, SET)).toMatchObject({ final: false, signed_by: ['a'] });
    // The document's own `final` is not trusted.
    expect(verifyQuorum({ ...doc, final: true }, SET)).toMatchObject({ final: false });
  });

  it('counts a signature by a rotated key of its signer', () => {
    const old = issue(A_OLD);
    expect(verifyQuorum({ ...old, signatures: [counter(old, 'b', B)] }, SET)).toMatchObject({
      final: true,
      signed_by: ['a', 'b'],
    });
  });

  it('reports, and does not count, a tampered signature, a signer outside the set and a misnamed signer', () => {
    const tampered = counter(doc, 'b', B);
    tampered.value = (tampered.value[0] === '0' ? '1' : '0') + tampered.value.slice(1);
    const outsider = counter(doc, 'd', OUTSIDER);
    const posing = counter(doc, 'b', IMPOSTOR);
    const misnamed = counter(doc, 'a', C);
    const check = verifyQuorum({ ...doc, signatures: [tampered, outsider, posing, misnamed] }, SET);
    expect(check).toMatchObject({ valid: true, final: false, signed_by: ['a'] });
    expect(check.valid && check.rejected).toEqual([
      { signer_id: 'b', key_id: ref(B).key_id, reason: 'signature_invalid' },
      { signer_id: 'd', key_id: ref(OUTSIDER).key_id, reason: 'signer_not_in_set' },
      { signer_id: 'b', key_id: ref(IMPOSTOR).key_id, reason: 'signer_not_in_set' },
      { signer_id: 'a', key_id: ref(C).key_id, reason: 'signer_mismatch' },
    ]);
    // An issuer outside the set is reported too: the receipt then needs k others.
    const foreign = issue(OUTSIDER);
    expect(verifyQuorum(foreign, SET)).toMatchObject({
      final: false,
      signed_by: [],
      rejected: [{ signer_id: null, key_id: ref(OUTSIDER).key_id, reason: 'signer_not_in_set' }],
    });
    // A signature over another receipt's statement does not verify for this one.
    const other = issue(A_NEW, doc);
    expect(verifyQuorum({ ...doc, signatures: [counter(other, 'b', B)] }, SET)).toMatchObject({
      final: false,
      rejected: [{ reason: 'signature_invalid' }],
    });
  });

  it('a receipt whose hash or shape is wrong is invalid, not merely not final', () => {
    expect(verifyQuorum({ ...doc, receipt: { ...doc.receipt, seq: 2 } }, SET)).toEqual({
      valid: false,
      reason: 'hash_mismatch',
    });
    expect(verifyQuorum({ ...doc, signatures: [{ signer_id: 'b' }] }, SET)).toEqual({
      valid: false,
      reason: 'malformed',
    });
    expect(verifyQuorum({ ...doc, final: 'yes' }, SET)).toEqual({ valid: false, reason: 'malformed' });
  });

  it('a chain is final when each of its receipts is; signatures beside it leave the chain check as it was', () => {
    const a = issue(A_NEW);
    const e = issue(A_NEW, a, 'execution');
    const v = issue(A_NEW, e, 'verification');
    const s = issue(A_NEW, v, 'settlement');
    const signed = [a, e, v, s].map((d) => ({ ...d, signatures: [counter(d, 'b', B)], final: true }));
    expect(verifyReceiptChain(signed, [ref(A_NEW)])).toMatchObject({ valid: true, length: 4 });
    expect(verifyChainQuorum(signed, SET).final).toBe(true);
    const partly = [...signed.slice(0, 3), s];
    const check = verifyChainQuorum(partly, SET);
    expect(check.final).toBe(false);
    expect(check.receipts.map((r) => r.valid && r.final)).toEqual([true, true, true, false]);
    expect(verifyChainQuorum([], SET).final).toBe(false);
  });

  it('names what is wrong with a signer set', () => {
    expect(signerSetProblem(SET)).toBeNull();
    expect(signerSetProblem({ ...SET, threshold: 4 })).toMatch(/threshold must be an integer from 1 to 3/);
    expect(signerSetProblem({ ...SET, threshold: 0 })).toMatch(/threshold/);
    expect(signerSetProblem({ threshold: 1, signers: [] })).toMatch(/no signer/);
    expect(signerSetProblem({ threshold: 1, signers: [SET.signers[0], SET.signers[0]] })).toMatch(/listed twice/);
    expect(signerSetProblem({ threshold: 1, signers: [{ signer_id: 'a b', keys: [ref(B)] }] })).toMatch(/signer_id/);
    expect(signerSetProblem({ threshold: 1, signers: [{ signer_id: 'a', keys: [] }] })).toMatch(/lists no key/);
    expect(
      signerSetProblem({ threshold: 1, signers: [{ signer_id: 'a', keys: [{ key_id: 'x', public_key: 'zz' }] }] }),
    ).toMatch(/not a 64-hex-character/);
    expect(
      signerSetProblem({ threshold: 1, signers: [{ signer_id: 'a', keys: [{ ...ref(B), key_id: ref(C).key_id }] }] }),
    ).toMatch(/is not its key's hash/);
    expect(
      signerSetProblem({
        threshold: 1,
        signers: [
          { signer_id: 'a', keys: [ref(B)] },
          { signer_id: 'b', keys: [ref(B)] },
        ],
      }),
    ).toMatch(/listed for both a and b/);
    expect(signerSetProblem([])).toMatch(/threshold/);
  });
});
