import { canonicalBytes, keyIdOf, sha256Hex, verifyEd25519 } from './crypto';

// The receipt format and its offline checks: no Nest, no database.

export const RECEIPT_DOMAIN = 'tally.receipt';
export const ATTESTATION_DOMAIN = 'tally.receipt.attestation';
/**
 * The version new receipts are signed under. 2: network_job_id is the job's int64 id as a
 * decimal string (proto3 JSON writes an int64 so), and the first receipt after a version 1
 * one carries legacy_network_job_id, the uuid the version 1 receipts named the job by.
 * 1: network_job_id was a uuid. Both verify.
 */
export const RECEIPT_VERSION = 2;
export const RECEIPT_VERSIONS: readonly number[] = [1, 2];
/** A version 2 network_job_id: a positive int64 in decimal. */
const JOB_ID = /^[1-9][0-9]{0,18}$/;
const INT64_MAX = 9_223_372_036_854_775_807n;
const isJobId = (v: unknown) => typeof v === 'string' && JOB_ID.test(v) && BigInt(v) <= INT64_MAX;
/**
 * assignment → execution → verification (a replicated job's majority, when decided) →
 * settlement. A chain of any of these kinds verifies; only the settlement ends it.
 */
export const RECEIPT_KINDS = ['assignment', 'execution', 'verification', 'settlement'] as const;
export type ReceiptKind = (typeof RECEIPT_KINDS)[number];

/** The signed fields of a receipt; kind-specific fields sit beside the common ones. */
export interface ReceiptBody {
  receipt_id: string;
  kind: ReceiptKind;
  /** Position in the job's chain, from 1. */
  seq: number;
  /** Version 2: the int64 id in decimal; version 1: a uuid. */
  network_job_id: string;
  /** Version 2, only in the first receipt after a version 1 one: the uuid those named the job by. */
  legacy_network_job_id?: string;
  prev_receipt_hash: string | null;
  issued_at: string;
  [field: string]: unknown;
}

/** What is canonicalised (RFC 8785), hashed and signed: a domain tag and a version around the receipt. */
export interface ReceiptStatement {
  domain: typeof RECEIPT_DOMAIN;
  version: number;
  receipt: ReceiptBody;
}

export interface ReceiptDocument extends ReceiptStatement {
  /** Hex SHA-256 of the canonical statement; the next receipt's prev_receipt_hash. */
  receipt_hash: string;
  signature: { key_id: string; algorithm: 'ed25519'; value: string };
  /** A second key's signature over {domain: ATTESTATION_DOMAIN, version, receipt_hash}. */
  attestation?: { key_id: string; value: string };
  /**
   * With a signer set: every signer's signature over the same statement bytes as
   * `signature` (the issuer's among them), and whether enough distinct signers signed.
   * Neither is covered by the hash; verifyQuorum counts them itself.
   */
  signatures?: ReceiptCountersignature[];
  final?: boolean;
}

/** One signer's Ed25519 signature over a receipt's canonical statement bytes. */
export interface ReceiptCountersignature {
  signer_id: string;
  key_id: string;
  algorithm: 'ed25519';
  value: string;
  signed_at?: string;
}

/** A published public key, as GET /v1/receipts/keys lists it (purpose and status optional offline). */
export interface ReceiptPublicKey {
  key_id: string;
  public_key: string;
  purpose?: 'signing' | 'attestation';
  status?: 'active' | 'retired';
}

export type ReceiptFailure =
  | 'malformed'
  | 'unsupported_version'
  | 'hash_mismatch'
  | 'unknown_key'
  | 'wrong_key_purpose'
  | 'signature_invalid'
  | 'no_attestation'
  | 'attestation_invalid'
  | 'chain_empty'
  | 'chain_job_mismatch'
  | 'chain_out_of_order'
  | 'chain_broken';

export type ReceiptCheck =
  { valid: true; key_id: string; receipt_hash: string } | { valid: false; reason: ReceiptFailure };

export function receiptStatement(receipt: ReceiptBody, version: number = RECEIPT_VERSION): ReceiptStatement {
  return { domain: RECEIPT_DOMAIN, version, receipt };
}

export function receiptHashOf(statement: ReceiptStatement): string {
  return sha256Hex(canonicalBytes(statement));
}

/** The bytes the attesting key signs: the receipt's hash under a domain of its own. */
export function attestationBytes(receiptHash: string, version: number = RECEIPT_VERSION): Buffer {
  return canonicalBytes({ domain: ATTESTATION_DOMAIN, version, receipt_hash: receiptHash });
}

const HEX64 = /^[0-9a-f]{64}$/;
const DOCUMENT_FIELDS = new Set([
  'domain',
  'version',
  'receipt',
  'receipt_hash',
  'signature',
  'attestation',
  'signatures',
  'final',
]);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const hasOnly = (v: Record<string, unknown>, fields: string[]) =>
  Object.keys(v).every((k) => fields.includes(k)) && fields.every((k) => k in v);

/** The document's shape, checked before any hashing: anything unexpected is 'malformed'. */
function shapeOf(doc: unknown): ReceiptFailure | ReceiptDocument {
  if (!isObject(doc) || !Object.keys(doc).every((k) => DOCUMENT_FIELDS.has(k))) return 'malformed';
  if (doc.domain !== RECEIPT_DOMAIN) return 'malformed';
  if (!RECEIPT_VERSIONS.includes(doc.version as number)) return 'unsupported_version';
  const r = doc.receipt;
  if (
    !isObject(r) ||
    typeof r.receipt_id !== 'string' ||
    !RECEIPT_KINDS.includes(r.kind as ReceiptKind) ||
    !Number.isSafeInteger(r.seq) ||
    (r.seq as number) < 1 ||
    typeof r.network_job_id !== 'string' ||
    (doc.version !== 1 && !isJobId(r.network_job_id)) ||
    (r.legacy_network_job_id !== undefined && (doc.version === 1 || typeof r.legacy_network_job_id !== 'string')) ||
    !(r.prev_receipt_hash === null || (typeof r.prev_receipt_hash === 'string' && HEX64.test(r.prev_receipt_hash))) ||
    typeof r.issued_at !== 'string'
  ) {
    return 'malformed';
  }
  if (typeof doc.receipt_hash !== 'string' || !HEX64.test(doc.receipt_hash)) return 'malformed';
  const s = doc.signature;
  if (!isObject(s) || !hasOnly(s, ['key_id', 'algorithm', 'value']) || s.algorithm !== 'ed25519') return 'malformed';
  if (typeof s.key_id !== 'string' || typeof s.value !== 'string') return 'malformed';
  const a = doc.attestation;
  if (a !== undefined) {
    if (!isObject(a) || !hasOnly(a, ['key_id', 'value']) || typeof a.key_id !== 'string' || typeof a.value !== 'string')
      return 'malformed';
  }
  if (doc.final !== undefined && typeof doc.final !== 'boolean') return 'malformed';
  if (doc.signatures !== undefined && (!Array.isArray(doc.signatures) || !doc.signatures.every(isCountersignature)))
    return 'malformed';
  return doc as unknown as ReceiptDocument;
}

function isCountersignature(v: unknown): boolean {
  if (
    !isObject(v) ||
    !Object.keys(v).every((k) => ['signer_id', 'key_id', 'algorithm', 'value', 'signed_at'].includes(k))
  )
    return false;
  return (
    typeof v.signer_id === 'string' &&
    typeof v.key_id === 'string' &&
    v.algorithm === 'ed25519' &&
    typeof v.value === 'string' &&
    (v.signed_at === undefined || typeof v.signed_at === 'string')
  );
}

/**
 * The document's shape and hash (no signature checked): the statement bytes every signer
 * signs, or why there are none.
 */
export function statementBytesOf(doc: unknown): { doc: ReceiptDocument; bytes: Buffer } | ReceiptFailure {
  const shaped = shapeOf(doc);
  if (typeof shaped === 'string') return shaped;
  let bytes: Buffer;
  try {
    bytes = canonicalBytes(receiptStatement(shaped.receipt, shaped.version));
  } catch {
    return 'malformed';
  }
  if (sha256Hex(bytes) !== shaped.receipt_hash) return 'hash_mismatch';
  return { doc: shaped, bytes };
}

/** The key named `keyId`, if it is listed and its id really is the hash of its public key. */
function findKey(keys: readonly ReceiptPublicKey[], keyId: string): ReceiptPublicKey | undefined {
  const key = keys.find((k) => k.key_id === keyId);
  if (!key) return undefined;
  try {
    return keyIdOf(key.public_key) === keyId ? key : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Checks one receipt against published keys: its shape, that its hash is the hash of its
 * canonical statement, and that a listed signing key (active or retired) signed it.
 */
export function verifyReceipt(doc: unknown, keys: readonly ReceiptPublicKey[]): ReceiptCheck {
  const stated = statementBytesOf(doc);
  if (typeof stated === 'string') return { valid: false, reason: stated };
  const { doc: shaped, bytes } = stated;
  const key = findKey(keys, shaped.signature.key_id);
  if (!key) return { valid: false, reason: 'unknown_key' };
  if (key.purpose !== undefined && key.purpose !== 'signing') return { valid: false, reason: 'wrong_key_purpose' };
  if (!verifyEd25519(key.public_key, bytes, shaped.signature.value))
    return { valid: false, reason: 'signature_invalid' };
  return { valid: true, key_id: key.key_id, receipt_hash: shaped.receipt_hash };
}

/** Checks a receipt's attestation (the receipt itself must verify too). */
export function verifyAttestation(doc: unknown, keys: readonly ReceiptPublicKey[]): ReceiptCheck {
  const receipt = verifyReceipt(doc, keys);
  if (!receipt.valid) return receipt;
  const attestation = (doc as ReceiptDocument).attestation;
  if (!attestation) return { valid: false, reason: 'no_attestation' };
  const key = findKey(keys, attestation.key_id);
  if (!key) return { valid: false, reason: 'unknown_key' };
  if (key.purpose !== undefined && key.purpose !== 'attestation') return { valid: false, reason: 'wrong_key_purpose' };
  const version = (doc as ReceiptDocument).version;
  if (!verifyEd25519(key.public_key, attestationBytes(receipt.receipt_hash, version), attestation.value)) {
    return { valid: false, reason: 'attestation_invalid' };
  }
  return { valid: true, key_id: key.key_id, receipt_hash: receipt.receipt_hash };
}

export type ChainCheck =
  { valid: true; length: number; head: string } | { valid: false; reason: ReceiptFailure; index: number };

/**
 * Checks a job's whole chain, in order: every receipt verifies, all name the same job,
 * `seq` counts from 1, each names the previous one's hash, and nothing follows the settlement.
 */
export function verifyReceiptChain(docs: readonly unknown[], keys: readonly ReceiptPublicKey[]): ChainCheck {
  if (!Array.isArray(docs) || docs.length === 0) return { valid: false, reason: 'chain_empty', index: 0 };
  let prev: ReceiptDocument | undefined;
  for (const [index, doc] of docs.entries()) {
    const check = verifyReceipt(doc, keys);
    if (!check.valid) return { valid: false, reason: check.reason, index };
    const current = doc as ReceiptDocument;
    if (prev && current.version < prev.version) return { valid: false, reason: 'chain_out_of_order', index };
    // Across the step from version 1 the job is named by its old uuid, given again as legacy_network_job_id.
    const sameJob =
      prev === undefined ||
      (current.version === prev.version
        ? current.receipt.network_job_id === prev.receipt.network_job_id
        : current.receipt.legacy_network_job_id === prev.receipt.network_job_id);
    if (!sameJob) return { valid: false, reason: 'chain_job_mismatch', index };
    if (current.receipt.seq !== index + 1 || prev?.receipt.kind === 'settlement') {
      return { valid: false, reason: 'chain_out_of_order', index };
    }
    if (current.receipt.prev_receipt_hash !== (prev?.receipt_hash ?? null)) {
      return { valid: false, reason: 'chain_broken', index };
    }
    prev = current;
  }
  return { valid: true, length: docs.length, head: prev!.receipt_hash };
}

/** A job's chain as GET /v1/jobs/{id}/receipts returns it. */
export interface ReceiptChainDocument {
  network_job_id: string;
  receipts: unknown[];
}

/** Whether `doc` is meant as a chain document (it has `receipts`), rather than one receipt. */
export function isChainDocument(doc: unknown): doc is Record<string, unknown> & { receipts: unknown } {
  return isObject(doc) && 'receipts' in doc;
}

/** What is wrong with a chain document's own fields (its receipts are checked by verifying), or null. */
export function chainDocumentProblem(doc: Record<string, unknown>): { field: string; detail: string } | null {
  const extra = Object.keys(doc).find((k) => k !== 'network_job_id' && k !== 'receipts');
  if (extra !== undefined) {
    return { field: extra, detail: 'a receipt chain document holds only network_job_id and receipts' };
  }
  if (!isJobId(doc.network_job_id)) {
    return { field: 'network_job_id', detail: 'network_job_id must be a job id: a positive int64 in decimal' };
  }
  if (!Array.isArray(doc.receipts)) return { field: 'receipts', detail: 'receipts must be an array of receipts' };
  return null;
}

/**
 * Checks a chain document: its chain (verifyReceiptChain), and that network_job_id, which no
 * signature covers, is the job the receipts name (version 1 receipts named it by a uuid).
 */
export function verifyChainDocument(doc: ReceiptChainDocument, keys: readonly ReceiptPublicKey[]): ChainCheck {
  const check = verifyReceiptChain(doc.receipts, keys);
  if (!check.valid) return check;
  const index = doc.receipts.length - 1;
  const last = doc.receipts[index] as ReceiptDocument;
  if (last.version !== 1 && last.receipt.network_job_id !== doc.network_job_id) {
    return { valid: false, reason: 'chain_job_mismatch', index };
  }
  return check;
}
