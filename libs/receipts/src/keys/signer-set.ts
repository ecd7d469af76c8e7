import { readFileSync } from 'node:fs';
import { ConfigurationError } from '@tally/shared';
import { keyIdOf, ReceiptSigner, signerSetProblem } from '../offline';

/** A wrong RECEIPT_SIGNER_SET or RECEIPT_QUORUM: the message says what to fix. */
export class SignerSetConfigError extends ConfigurationError {}

/** The signer set as configured: the signers with their keys, and k. */
export interface ConfiguredSignerSet {
  threshold: number;
  signers: ReceiptSigner[];
}

const FORMAT =
  'RECEIPT_SIGNER_SET holds JSON (or the path of a JSON file) like ' +
  '[{"signer_id": "tally-a", "public_keys": ["<64 hex>", ...]}, ...], listing every key each signer ever used';

/**
 * Reads RECEIPT_SIGNER_SET (JSON text, or a file path) and RECEIPT_QUORUM (default: a
 * majority of the signers). Undefined when no set is configured.
 */
export function parseSignerSet(raw: string | undefined, quorum: number | undefined): ConfiguredSignerSet | undefined {
  if (raw === undefined) return undefined;
  let text = raw.trim();
  if (!text.startsWith('[') && !text.startsWith('{')) {
    try {
      text = readFileSync(text, 'utf8');
    } catch (error) {
      throw new SignerSetConfigError(`RECEIPT_SIGNER_SET: cannot read ${raw}: ${(error as Error).message}. ${FORMAT}.`);
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new SignerSetConfigError(`RECEIPT_SIGNER_SET is not JSON. ${FORMAT}.`);
  }
  const list = Array.isArray(value) ? value : (value as { signers?: unknown } | null)?.signers;
  if (!Array.isArray(list)) throw new SignerSetConfigError(`RECEIPT_SIGNER_SET lists no signers. ${FORMAT}.`);
  const signers = list.map((s: unknown): ReceiptSigner => {
    const entry = (typeof s === 'object' && s !== null ? s : {}) as { signer_id?: unknown; public_keys?: unknown };
    const keys = Array.isArray(entry.public_keys) ? entry.public_keys : [];
    return {
      signer_id: entry.signer_id as string,
      keys: keys.map((pk: unknown) => {
        const publicKey = typeof pk === 'string' ? pk.toLowerCase() : '';
        let keyId = '';
        try {
          keyId = keyIdOf(publicKey);
        } catch {
          // reported below by signerSetProblem
        }
        return { key_id: keyId, public_key: publicKey };
      }),
    };
  });
  const threshold = quorum ?? Math.floor(signers.length / 2) + 1;
  const problem = signerSetProblem({ threshold, signers });
  if (problem) {
    const which = problem.startsWith('the threshold') ? `RECEIPT_QUORUM (${threshold})` : 'RECEIPT_SIGNER_SET';
    throw new SignerSetConfigError(`${which}: ${problem}. ${FORMAT}; RECEIPT_QUORUM is k, from 1 to their number.`);
  }
  return { threshold, signers };
}
