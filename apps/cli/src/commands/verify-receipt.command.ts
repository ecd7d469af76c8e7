import { readFileSync } from 'node:fs';
import type { INestApplicationContext } from '@nestjs/common';
import {
  ReceiptKeysQuery,
  ReceiptPublicKey,
  verifyAttestation,
  verifyReceipt,
  verifyReceiptChain,
} from '@tally/receipts';
import { CliCommand, CliUsageError, optionalFlag } from '../cli-command';

function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the ${what} file ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`the ${what} file ${path} is not JSON`, { cause: error });
  }
}

/** A keys file is GET /v1/receipts/keys's answer ({keys: [...]}) or just the array. */
function keysFrom(value: unknown): ReceiptPublicKey[] {
  const list = Array.isArray(value) ? value : (value as { keys?: unknown })?.keys;
  if (!Array.isArray(list)) throw new Error('the keys file must hold {"keys": [...]} or an array of keys');
  return list as ReceiptPublicKey[];
}

/** The database's published keys (no --keys file given). */
function keysInDatabase(app: INestApplicationContext): Promise<ReceiptPublicKey[]> {
  return app.get(ReceiptKeysQuery).published();
}

/**
 * Verifies a receipt, or a chain (an array, or GET /v1/jobs/{id}/receipts's answer),
 * offline against published keys: from --keys, else from this database's key table.
 */
export const verifyReceiptCommand: CliCommand = {
  name: 'verify-receipt',
  usage: 'verify-receipt <file> [--keys <keys.json>]',
  async run(open, args) {
    const file = args.positionals[0];
    if (!file) throw new CliUsageError('a receipt file is required');
    const keysFile = optionalFlag(args, 'keys');
    const doc = readJson(file, 'receipt');
    const keys = keysFile !== undefined ? keysFrom(readJson(keysFile, 'keys')) : await keysInDatabase(await open());
    const chain = Array.isArray(doc) ? doc : (doc as { receipts?: unknown })?.receipts;
    if (Array.isArray(chain)) {
      const check = verifyReceiptChain(chain, keys);
      if (!check.valid) {
        console.log(`invalid: ${check.reason} (receipt ${check.index + 1} of ${chain.length})`);
        return 1;
      }
      console.log(`valid: chain of ${check.length} receipt(s), head ${check.head}`);
      return 0;
    }
    const check = verifyReceipt(doc, keys);
    if (!check.valid) {
      console.log(`invalid: ${check.reason}`);
      return 1;
    }
    console.log(`valid: signed by key ${check.key_id}, receipt hash ${check.receipt_hash}`);
    if ((doc as { attestation?: unknown }).attestation) {
      const attested = verifyAttestation(doc, keys);
      console.log(
        attested.valid ? `attestation valid: key ${attested.key_id}` : `attestation invalid: ${attested.reason}`,
      );
      if (!attested.valid) return 1;
    }
    return 0;
  },
};
