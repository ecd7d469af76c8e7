import { canonicalBytes, keyIdOf, publicKeyOfSeed, sha256Hex, signEd25519 } from './crypto';
import {
  attestationBytes,
  chainDocumentProblem,
  isChainDocument,
  ReceiptBody,
  ReceiptDocument,
  ReceiptPublicKey,
  receiptStatement,
  verifyAttestation,
  verifyChainDocument,
  verifyReceipt,
  verifyReceiptChain,
} from './receipt';

const SIGNING = '01'.repeat(32);
const ATTESTING = '02'.repeat(32);
const key = (seed: string, purpose: 'signing' | 'attestation'): ReceiptPublicKey => ({
  key_id: keyIdOf(publicKeyOfSeed(seed)),
  public_key: publicKeyOfSeed(seed),
  purpose,
});
const KEYS = [key(SIGNING, 'signing'), key(ATTESTING, 'attestation')];

const OLD_JOB = '7d8f2a52-0000-4000-8000-000000000001';

function issue(body: Partial<ReceiptBody>, prev?: ReceiptDocument, seed = SIGNING, version = 2): ReceiptDocument {
  const receipt: ReceiptBody = {
    receipt_id: `r-${(prev?.receipt.seq ?? 0) + 1}`,
    kind: 'assignment',
    seq: (prev?.receipt.seq ?? 0) + 1,
    network_job_id: version === 1 ? OLD_JOB : '1',
    prev_receipt_hash: prev?.receipt_hash ?? null,
    issued_at: '2026-01-01T00:00:00.000Z',
    ...body,
  };
  const bytes = canonicalBytes(receiptStatement(receipt, version));
  const hash = sha256Hex(bytes);
  return {
    ...receiptStatement(receipt, version),
    receipt_hash: hash,
    signature: { key_id: keyIdOf(publicKeyOfSeed(seed)), algorithm: 'ed25519', value: signEd25519(seed, bytes) },
    attestation: { key_id: KEYS[1].key_id, value: signEd25519(ATTESTING, attestationBytes(hash, version)) },
  };
}

describe('offline receipt verification', () => {
  const a = issue({ kind: 'assignment', provers: [{ prover_id: 'p1', scorecard_version: '3' }] });
  const e = issue({ kind: 'execution', reports: [] }, a);
  const s = issue({ kind: 'settlement', final_cost_micros: '1500000', refund_micros: '500000' }, e);

  it('verifies a receipt, its attestation and its chain', () => {
    expect(verifyReceipt(s, KEYS)).toEqual({ valid: true, key_id: KEYS[0].key_id, receipt_hash: s.receipt_hash });
    expect(verifyAttestation(s, KEYS)).toMatchObject({ valid: true, key_id: KEYS[1].key_id });
    expect(verifyReceiptChain([a, e, s], KEYS)).toEqual({ valid: true, length: 3, head: s.receipt_hash });
  });

  it('names the reason a receipt fails', () => {
    const changed = { ...s, receipt: { ...s.receipt, refund_micros: '500001' } };
    expect(verifyReceipt(changed, KEYS)).toEqual({ valid: false, reason: 'hash_mismatch' });
    const rehashed = { ...changed, receipt_hash: sha256Hex(canonicalBytes(receiptStatement(changed.receipt))) };
    expect(verifyReceipt(rehashed, KEYS)).toEqual({ valid: false, reason: 'signature_invalid' });
    expect(verifyReceipt(s, [KEYS[1]])).toEqual({ valid: false, reason: 'unknown_key' });
    expect(verifyReceipt(issue({}, undefined, ATTESTING), KEYS)).toEqual({ valid: false, reason: 'wrong_key_purpose' });
    expect(verifyReceipt({ ...s, domain: 'other' }, KEYS)).toEqual({ valid: false, reason: 'malformed' });
    expect(verifyReceipt({ ...s, version: 3 }, KEYS)).toEqual({ valid: false, reason: 'unsupported_version' });
    expect(verifyReceipt({ ...s, signature: { ...s.signature, algorithm: 'rsa' } }, KEYS)).toEqual({
      valid: false,
      reason: 'malformed',
    });
    for (const junk of [null, 1, 'x', [], {}, { ...s, receipt: null }]) {
      expect(verifyReceipt(junk, KEYS)).toEqual({ valid: false, reason: 'malformed' });
    }
    // Keys without purpose (an external list) are accepted as long as their id matches.
    expect(verifyReceipt(s, [{ key_id: KEYS[0].key_id, public_key: KEYS[0].public_key }]).valid).toBe(true);
  });

  it('rejects chains that are reordered, cut, spliced or continued past the settlement', () => {
    expect(verifyReceiptChain([], KEYS)).toMatchObject({ valid: false, reason: 'chain_empty' });
    expect(verifyReceiptChain([e, a, s], KEYS)).toMatchObject({ valid: false, reason: 'chain_out_of_order', index: 0 });
    expect(verifyReceiptChain([a, s], KEYS)).toMatchObject({ valid: false, reason: 'chain_out_of_order', index: 1 });
    const forked = issue({ kind: 'execution', reports: ['other'] }, a);
    expect(verifyReceiptChain([a, forked, s], KEYS)).toMatchObject({ valid: false, reason: 'chain_broken', index: 2 });
    const otherJob = issue({ kind: 'execution', network_job_id: '2' }, a);
    expect(verifyReceiptChain([a, otherJob], KEYS)).toMatchObject({ valid: false, reason: 'chain_job_mismatch' });
    const after = issue({ kind: 'execution' }, s);
    expect(verifyReceiptChain([a, e, s, after], KEYS)).toMatchObject({ valid: false, reason: 'chain_out_of_order' });
  });

  it('version 2 names the job by its int64 id in decimal: anything else there is malformed', () => {
    expect(s.version).toBe(2);
    for (const id of ['job-1', '0', '-1', '01', '9223372036854775808', OLD_JOB]) {
      expect(verifyReceipt(issue({ network_job_id: id }), KEYS)).toEqual({ valid: false, reason: 'malformed' });
    }
    expect(verifyReceipt(issue({ network_job_id: '9223372036854775807' }), KEYS).valid).toBe(true);
    // A version 1 receipt never carries legacy_network_job_id (it is the uuid itself).
    const v1 = issue({ legacy_network_job_id: OLD_JOB }, undefined, SIGNING, 1);
    expect(verifyReceipt(v1, KEYS)).toEqual({ valid: false, reason: 'malformed' });
  });

  it('version 1 receipts (the job a uuid) still verify, attestation and chain included', () => {
    const a1 = issue({ kind: 'assignment' }, undefined, SIGNING, 1);
    const e1 = issue({ kind: 'execution' }, a1, SIGNING, 1);
    expect(verifyReceipt(a1, KEYS)).toMatchObject({ valid: true });
    expect(verifyAttestation(e1, KEYS)).toMatchObject({ valid: true });
    expect(verifyReceiptChain([a1, e1], KEYS)).toMatchObject({ valid: true, length: 2 });
    // Its attestation covers its version: one signed over version 2's bytes does not verify.
    const wrongAttestation = {
      ...a1,
      attestation: { key_id: KEYS[1].key_id, value: signEd25519(ATTESTING, attestationBytes(a1.receipt_hash, 2)) },
    };
    expect(verifyAttestation(wrongAttestation, KEYS)).toEqual({ valid: false, reason: 'attestation_invalid' });
  });

  it('a chain begun under version 1 goes on under version 2, which names the old uuid once', () => {
    const a1 = issue({ kind: 'assignment' }, undefined, SIGNING, 1);
    const e2 = issue({ kind: 'execution', legacy_network_job_id: OLD_JOB }, a1);
    const s2 = issue({ kind: 'settlement' }, e2);
    expect(verifyReceiptChain([a1, e2, s2], KEYS)).toMatchObject({ valid: true, length: 3 });
    // Without the old uuid, or with another job's, the step from version 1 is another job's receipt.
    const unnamed = issue({ kind: 'execution' }, a1);
    expect(verifyReceiptChain([a1, unnamed], KEYS)).toMatchObject({ valid: false, reason: 'chain_job_mismatch' });
    const misnamed = issue({ kind: 'execution', legacy_network_job_id: OLD_JOB.replace('1', '2') }, a1);
    expect(verifyReceiptChain([a1, misnamed], KEYS)).toMatchObject({ valid: false, reason: 'chain_job_mismatch' });
    // Versions never go back.
    const back = issue({ kind: 'settlement' }, e2, SIGNING, 1);
    expect(verifyReceiptChain([a1, e2, back], KEYS)).toMatchObject({ valid: false, reason: 'chain_out_of_order' });
  });

  it('a chain document ({network_job_id, receipts}, as served) verifies, and names its own job', () => {
    const doc = { network_job_id: '1', receipts: [a, e, s] };
    expect([isChainDocument(doc), isChainDocument(s), isChainDocument([a])]).toEqual([true, false, false]);
    expect(chainDocumentProblem(doc)).toBeNull();
    expect(verifyChainDocument(doc, KEYS)).toEqual({ valid: true, length: 3, head: s.receipt_hash });
    // The id beside the receipts is signed by nothing: it must be the job they name.
    expect(verifyChainDocument({ ...doc, network_job_id: '2' }, KEYS)).toEqual({
      valid: false,
      reason: 'chain_job_mismatch',
      index: 2,
    });
    expect(verifyChainDocument({ ...doc, receipts: [a, s] }, KEYS)).toMatchObject({ reason: 'chain_out_of_order' });
    // A version 1 chain named the job by a uuid, which the served id (an int64) cannot match.
    const a1 = issue({ kind: 'assignment' }, undefined, SIGNING, 1);
    expect(verifyChainDocument({ network_job_id: '7', receipts: [a1] }, KEYS)).toMatchObject({ valid: true });
    expect(chainDocumentProblem({ ...doc, extra: 1 })).toMatchObject({ field: 'extra' });
    for (const id of [1, '0', 'job-1', OLD_JOB, null]) {
      expect(chainDocumentProblem({ ...doc, network_job_id: id })).toMatchObject({ field: 'network_job_id' });
    }
    expect(chainDocumentProblem({ network_job_id: '1', receipts: {} })).toMatchObject({ field: 'receipts' });
  });
});
