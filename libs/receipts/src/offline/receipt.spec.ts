import { canonicalBytes, keyIdOf, publicKeyOfSeed, sha256Hex, signEd25519 } from './crypto';
import {
  attestationBytes,
  ReceiptBody,
  ReceiptDocument,
  ReceiptPublicKey,
  receiptStatement,
  verifyAttestation,
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

function issue(body: Partial<ReceiptBody>, prev?: ReceiptDocument, seed = SIGNING): ReceiptDocument {
  const receipt: ReceiptBody = {
    receipt_id: `r-${(prev?.receipt.seq ?? 0) + 1}`,
    kind: 'assignment',
    seq: (prev?.receipt.seq ?? 0) + 1,
    network_job_id: 'job-1',
    prev_receipt_hash: prev?.receipt_hash ?? null,
    issued_at: '2026-01-01T00:00:00.000Z',
    ...body,
  };
  const bytes = canonicalBytes(receiptStatement(receipt));
  const hash = sha256Hex(bytes);
  return {
    ...receiptStatement(receipt),
    receipt_hash: hash,
    signature: { key_id: keyIdOf(publicKeyOfSeed(seed)), algorithm: 'ed25519', value: signEd25519(seed, bytes) },
    attestation: { key_id: KEYS[1].key_id, value: signEd25519(ATTESTING, attestationBytes(hash)) },
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
    expect(verifyReceipt({ ...s, version: 2 }, KEYS)).toEqual({ valid: false, reason: 'unsupported_version' });
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
    const otherJob = issue({ kind: 'execution', network_job_id: 'job-2' }, a);
    expect(verifyReceiptChain([a, otherJob], KEYS)).toMatchObject({ valid: false, reason: 'chain_job_mismatch' });
    const after = issue({ kind: 'execution' }, s);
    expect(verifyReceiptChain([a, e, s, after], KEYS)).toMatchObject({ valid: false, reason: 'chain_out_of_order' });
  });
});
