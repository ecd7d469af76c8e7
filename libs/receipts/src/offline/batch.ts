import { createHash } from 'node:crypto';
import { canonicalBytes, keyIdOf, verifyEd25519 } from './crypto';
import {
  EMPTY_ROOT,
  merkleLeafHash,
  MerkleProof,
  MerkleSumProof,
  sumLeaf,
  SumNode,
  verifyMerkleProof,
  verifyMerkleSumProof,
} from './merkle';

/**
 * Settlement batches as a client or the rollup checks them offline: the canonical
 * statements (RFC 8785 JSON, amounts and sequence numbers as strings, a domain tag and a
 * version in every statement), the batch hash and signature, and the two inclusion proofs.
 */

export const BATCH_DOMAIN = 'tally.settlement.batch';
export const TRANSFER_DOMAIN = 'tally.settlement.transfer';
export const ACCOUNT_DOMAIN = 'tally.settlement.account';
/**
 * The version new batches and their transfer statements are sealed under. 2: a job's
 * transfer names it by its int64 id in decimal (job_id "12345"); 1: by its uuid. Both
 * verify. An account's leaf did not change and keeps its own version, ACCOUNT_VERSION.
 */
export const SETTLEMENT_VERSION = 2;
export const SETTLEMENT_VERSIONS: readonly number[] = [1, 2];
export const ACCOUNT_VERSION = 1;
/** prev_batch_hash of batch 1. */
export const GENESIS_BATCH_HASH = EMPTY_ROOT;

/** What a batch's signature and hash cover. */
export interface BatchStatement {
  domain: typeof BATCH_DOMAIN;
  version: number;
  batch_no: number;
  prev_batch_hash: string;
  /**
   * The transaction-id horizon: the batch holds exactly the transfers whose inserting
   * transaction id is at least the previous batch's horizon and below this one.
   */
  horizon: string;
  /** The lowest and highest sequence number in the batch (informational: membership is by horizon). */
  first_seq: string;
  last_seq: string;
  transfer_count: number;
  transfers_root: string;
  balances_root: string;
  account_count: number;
  /** Micros: minus the issuance account's posted balance, the root sum of balances_root. */
  total_supply: string;
  created_at: string;
  key_id: string;
}

/** A sealed batch as served and delivered: the statement, its hash and its signature. */
export interface SealedBatch extends BatchStatement {
  batch_hash: string;
  signature: string;
}

export interface TransferLeg {
  account_type: string;
  account_id: string;
  side: 'D' | 'C';
  phase: 'posted' | 'pending' | 'release';
  amount: string;
}

/** A transfer as committed to in transfers_root (memo and metadata are not part of it). */
export interface TransferStatement {
  domain: typeof TRANSFER_DOMAIN;
  version: number;
  id: string;
  seq: string;
  kind: string;
  amount: string;
  hold_id: string | null;
  job_id: string | null;
  prover_id: string | null;
  /** UTC, microseconds: 2025-01-02T03:04:05.123456Z. */
  created_at: string;
  legs: TransferLeg[];
}

export interface TransferProof extends MerkleProof {
  batch_no: number;
  transfer: TransferStatement;
  transfer_hash: string;
}

export interface AccountProof extends MerkleSumProof {
  batch_no: number;
  account_type: string;
  account_id: string;
  /** Posted balance after the batch, micros. */
  balance: string;
}

export interface PublicKeyRef {
  key_id: string;
  public_key: string;
}

export type Verdict = { valid: true } | { valid: false; reason: string };

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest();
const invalid = (reason: string): Verdict => ({ valid: false, reason });

export function batchStatement(b: BatchStatement): BatchStatement {
  return {
    domain: BATCH_DOMAIN,
    version: b.version,
    batch_no: b.batch_no,
    prev_batch_hash: b.prev_batch_hash,
    horizon: b.horizon,
    first_seq: b.first_seq,
    last_seq: b.last_seq,
    transfer_count: b.transfer_count,
    transfers_root: b.transfers_root,
    balances_root: b.balances_root,
    account_count: b.account_count,
    total_supply: b.total_supply,
    created_at: b.created_at,
    key_id: b.key_id,
  };
}

/** The bytes that are hashed and signed. */
export function batchStatementBytes(b: BatchStatement): Buffer {
  return canonicalBytes(batchStatement(b));
}

export function batchHash(b: BatchStatement): string {
  return sha256(batchStatementBytes(b)).toString('hex');
}

/** The hash committed to (as a leaf) in transfers_root: SHA-256 of the statement's RFC 8785 bytes. */
export function transferHash(t: TransferStatement): Buffer {
  return sha256(canonicalBytes(t));
}

const str = (v: string | null) => (v === null ? 'null' : JSON.stringify(v));

/**
 * The same bytes as canonicalBytes(t) for a well-formed statement (string fields, a small
 * integer version, keys in RFC 8785 order, written out by hand), about ten times faster:
 * a seal hashes every transfer of its batch. A test checks the two agree.
 */
export function transferStatementBytes(t: TransferStatement): Buffer {
  const legs = t.legs
    .map(
      (l) =>
        `{"account_id":${str(l.account_id)},"account_type":${str(l.account_type)},"amount":${str(l.amount)},` +
        `"phase":${str(l.phase)},"side":${str(l.side)}}`,
    )
    .join(',');
  return Buffer.from(
    `{"amount":${str(t.amount)},"created_at":${str(t.created_at)},"domain":${str(t.domain)},` +
      `"hold_id":${str(t.hold_id)},"id":${str(t.id)},"job_id":${str(t.job_id)},"kind":${str(t.kind)},` +
      `"legs":[${legs}],"prover_id":${str(t.prover_id)},"seq":${str(t.seq)},"version":${Number(t.version)}}`,
    'utf8',
  );
}

/** The leaf of a statement built by the ledger (fast path: see transferStatementBytes). */
export function transferLeaf(t: TransferStatement): Buffer {
  return merkleLeafHash(sha256(transferStatementBytes(t)));
}

/** An account's leaf in balances_root: its identity hashed, and its balance as the sum. */
export function accountLeaf(accountType: string, accountId: string, balance: bigint): SumNode {
  const id = sha256(
    canonicalBytes({
      domain: ACCOUNT_DOMAIN,
      version: ACCOUNT_VERSION,
      account_type: accountType,
      account_id: accountId,
    }),
  );
  return sumLeaf(id, balance);
}

/**
 * Checks a batch's hash and its signature by one of `keys` (active or retired). The chain
 * (prev_batch_hash) is checked by whoever holds consecutive batches.
 */
export function verifyBatch(batch: SealedBatch, keys: PublicKeyRef[]): Verdict {
  if (!batch || typeof batch !== 'object') return invalid('not a batch');
  if (batch.domain !== BATCH_DOMAIN) return invalid(`domain is not ${BATCH_DOMAIN}`);
  if (!SETTLEMENT_VERSIONS.includes(batch.version)) return invalid(`unsupported version ${String(batch.version)}`);
  let bytes: Buffer;
  try {
    bytes = batchStatementBytes(batch);
  } catch {
    return invalid('the statement cannot be canonicalised');
  }
  if (sha256(bytes).toString('hex') !== batch.batch_hash) return invalid('batch_hash does not match the statement');
  const key = keys.find((k) => k.key_id === batch.key_id);
  if (!key) return invalid(`unknown key ${String(batch.key_id)}`);
  let keyId: string;
  try {
    keyId = keyIdOf(key.public_key);
  } catch {
    return invalid('the published key is malformed');
  }
  if (keyId !== batch.key_id) return invalid('the published key does not hash to its key_id');
  if (!verifyEd25519(key.public_key, bytes, batch.signature)) return invalid('the signature does not verify');
  return { valid: true };
}

/** Checks a batch against the one before it (or the genesis hash for batch 1). */
export function verifyBatchLink(batch: SealedBatch, previous: SealedBatch | null): Verdict {
  const expectedNo = previous ? previous.batch_no + 1 : 1;
  if (batch.batch_no !== expectedNo) return invalid(`batch ${batch.batch_no} follows ${expectedNo - 1}`);
  const expectedPrev = previous ? previous.batch_hash : GENESIS_BATCH_HASH;
  if (batch.prev_batch_hash !== expectedPrev) return invalid('prev_batch_hash does not match the previous batch');
  if (previous && BigInt(batch.horizon) < BigInt(previous.horizon)) return invalid('the horizon went backwards');
  return { valid: true };
}

/** The transfer is in the batch's transfers_root (check the batch itself with verifyBatch). */
export function verifyTransferProof(batch: BatchStatement, proof: TransferProof): Verdict {
  if (!proof || typeof proof !== 'object' || !proof.transfer) return invalid('not a transfer proof');
  if (proof.batch_no !== batch.batch_no) return invalid('the proof is for another batch');
  // A transfer is stated in its batch's version.
  if (proof.transfer.domain !== TRANSFER_DOMAIN || proof.transfer.version !== batch.version) {
    return invalid('not a settlement transfer statement');
  }
  let hash: Buffer;
  try {
    hash = transferHash(proof.transfer);
  } catch {
    return invalid('the transfer cannot be canonicalised');
  }
  if (hash.toString('hex') !== proof.transfer_hash) return invalid('transfer_hash does not match the transfer');
  if (proof.leaf_count !== batch.transfer_count) return invalid('leaf_count is not the batch transfer_count');
  if (!verifyMerkleProof(merkleLeafHash(hash), proof, batch.transfers_root)) {
    return invalid('the Merkle path does not lead to transfers_root');
  }
  return { valid: true };
}

const MICROS = /^(0|[1-9]\d{0,19})$/;

/** The account's balance is in the batch's balances_root, whose sum is total_supply. */
export function verifyAccountProof(batch: BatchStatement, proof: AccountProof): Verdict {
  if (!proof || typeof proof !== 'object') return invalid('not an account proof');
  if (proof.batch_no !== batch.batch_no) return invalid('the proof is for another batch');
  if (typeof proof.balance !== 'string' || !MICROS.test(proof.balance))
    return invalid('balance is not non-negative micros');
  if (!MICROS.test(batch.total_supply)) return invalid('total_supply is not non-negative micros');
  if (proof.leaf_count !== batch.account_count) return invalid('leaf_count is not the batch account_count');
  let leaf: SumNode;
  try {
    leaf = accountLeaf(proof.account_type, proof.account_id, BigInt(proof.balance));
  } catch {
    return invalid('the account cannot be canonicalised');
  }
  const root = { hash: batch.balances_root, sum: BigInt(batch.total_supply) };
  if (!verifyMerkleSumProof(leaf, proof, root)) {
    return invalid('the Merkle sum path does not lead to balances_root and total_supply');
  }
  return { valid: true };
}
