import { keyIdOf, verifyEd25519 } from './crypto';
import { ReceiptFailure, statementBytesOf } from './receipt';

/**
 * k-of-n receipts: a receipt is final when `threshold` distinct signers of the published
 * signer set have signed its canonical statement bytes (the bytes `signature` covers). Each
 * signer may hold several keys (rotated ones stay listed so old signatures still count).
 */

export interface SignerKey {
  key_id: string;
  public_key: string;
}

export interface ReceiptSigner {
  signer_id: string;
  /** Every key the signer ever signed with, the current one included. */
  keys: SignerKey[];
}

/** As GET /v1/receipts/keys publishes it under `signer_set`. */
export interface ReceiptSignerSet {
  threshold: number;
  signers: ReceiptSigner[];
}

/** Why a signature on a receipt is not counted. */
export type SignatureFailure = 'signer_not_in_set' | 'signer_mismatch' | 'signature_invalid';

export type QuorumCheck =
  | { valid: false; reason: ReceiptFailure }
  | {
      valid: true;
      receipt_hash: string;
      final: boolean;
      threshold: number;
      /** The distinct signers whose signature verified, in set order. */
      signed_by: string[];
      /** Signatures not counted, and why. */
      rejected: { signer_id: string | null; key_id: string; reason: SignatureFailure }[];
    };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What is wrong with a signer set (ids unique, keys well-formed and owned once, 1 ≤ threshold ≤ n), or null. */
export function signerSetProblem(set: unknown): string | null {
  if (!isObject(set) || !Array.isArray(set.signers)) return 'a signer set is {"threshold": k, "signers": [...]}';
  const n = set.signers.length;
  if (n === 0) return 'the signer set names no signer';
  if (!Number.isSafeInteger(set.threshold) || (set.threshold as number) < 1 || (set.threshold as number) > n)
    return `the threshold must be an integer from 1 to ${n} (the number of signers)`;
  const ids = new Set<string>();
  const owners = new Map<string, string>();
  for (const s of set.signers as unknown[]) {
    if (!isObject(s) || typeof s.signer_id !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(s.signer_id))
      return 'each signer has a signer_id of 1 to 64 letters, digits, ".", "_" or "-"';
    if (ids.has(s.signer_id)) return `signer ${s.signer_id} is listed twice`;
    ids.add(s.signer_id);
    if (!Array.isArray(s.keys) || s.keys.length === 0) return `signer ${s.signer_id} lists no key`;
    for (const k of s.keys as unknown[]) {
      let id: string;
      try {
        id = keyIdOf(isObject(k) ? (k.public_key as string) : '');
      } catch {
        return `signer ${s.signer_id} lists a key that is not a 64-hex-character Ed25519 public key`;
      }
      if (isObject(k) && k.key_id !== id)
        return `signer ${s.signer_id}: key_id ${String(k.key_id)} is not its key's hash`;
      const owner = owners.get(id);
      if (owner !== undefined && owner !== s.signer_id)
        return `key ${id} is listed for both ${owner} and ${s.signer_id}`;
      owners.set(id, s.signer_id);
    }
  }
  return null;
}

/** The signer holding `keyId` (whose listed public key really hashes to it), if any. */
function signerOf(set: ReceiptSignerSet, keyId: string): { signer: ReceiptSigner; key: SignerKey } | undefined {
  for (const signer of set.signers) {
    const key = signer.keys.find((k) => k.key_id === keyId);
    if (!key) continue;
    try {
      if (keyIdOf(key.public_key) === keyId) return { signer, key };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * Counts the distinct signers of `set` whose signature (the issuer's `signature`, and each
 * of `signatures`) verifies over the receipt's statement. A signature by a key outside the
 * set, naming another signer than its key's, or not verifying is listed in `rejected` and
 * not counted; a signer signing twice counts once. `final` is computed here: the document's
 * own `final` is not trusted.
 */
export function verifyQuorum(doc: unknown, set: ReceiptSignerSet): QuorumCheck {
  const stated = statementBytesOf(doc);
  if (typeof stated === 'string') return { valid: false, reason: stated };
  const { doc: receipt, bytes } = stated;
  const candidates = [
    { signer_id: null as string | null, key_id: receipt.signature.key_id, value: receipt.signature.value },
    ...(receipt.signatures ?? []).map((s) => ({
      signer_id: s.signer_id as string | null,
      key_id: s.key_id,
      value: s.value,
    })),
  ];
  const seen = new Set<string>();
  const signed = new Set<string>();
  const rejected: { signer_id: string | null; key_id: string; reason: SignatureFailure }[] = [];
  for (const c of candidates) {
    // The issuer's signature is usually listed again among `signatures`: judged once.
    const once = `${c.key_id}:${c.value}`;
    if (seen.has(once)) continue;
    seen.add(once);
    const owner = signerOf(set, c.key_id);
    const reason: SignatureFailure | null = !owner
      ? 'signer_not_in_set'
      : c.signer_id !== null && c.signer_id !== owner.signer.signer_id
        ? 'signer_mismatch'
        : !verifyEd25519(owner.key.public_key, bytes, c.value)
          ? 'signature_invalid'
          : null;
    if (reason) rejected.push({ signer_id: c.signer_id, key_id: c.key_id, reason });
    else signed.add(owner!.signer.signer_id);
  }
  const signedBy = set.signers.map((s) => s.signer_id).filter((id) => signed.has(id));
  return {
    valid: true,
    receipt_hash: receipt.receipt_hash,
    final: signedBy.length >= set.threshold,
    threshold: set.threshold,
    signed_by: signedBy,
    rejected,
  };
}

/** Each receipt's quorum in a chain (checked with verifyReceiptChain as well), and whether all are final. */
export function verifyChainQuorum(
  docs: readonly unknown[],
  set: ReceiptSignerSet,
): { final: boolean; receipts: QuorumCheck[] } {
  const receipts = docs.map((d) => verifyQuorum(d, set));
  return { final: receipts.length > 0 && receipts.every((r) => r.valid && r.final), receipts };
}
