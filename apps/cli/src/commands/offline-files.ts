import { readFileSync } from 'node:fs';
import {
  ReceiptKeysQuery,
  ReceiptSignerSetQuery,
  signerSetProblem,
  type ReceiptPublicKey,
  type ReceiptSignerSet,
} from '@tally/receipts';
import type { Cli } from '../cli-command';

/** A JSON file; one it cannot read or parse is a failed check (exit 1), said in one line. */
export function readJson(path: string, what: string): unknown {
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

/**
 * The published keys: from a file holding GET /v1/receipts/keys's answer ({keys: [...]}) or
 * just the array, offline; without one, from the configured database's key table.
 */
export async function publishedKeys(file: string | undefined, cli: Cli): Promise<ReceiptPublicKey[]> {
  if (file === undefined) return (await cli.open()).get(ReceiptKeysQuery).published();
  const value = readJson(file, 'keys');
  const list = Array.isArray(value) ? value : (value as { keys?: unknown })?.keys;
  const isKey = (k: unknown) =>
    typeof k === 'object' &&
    k !== null &&
    typeof (k as ReceiptPublicKey).key_id === 'string' &&
    typeof (k as ReceiptPublicKey).public_key === 'string';
  if (!Array.isArray(list) || !list.every(isKey)) {
    throw new Error('the keys file must hold {"keys": [...]} or an array of keys, each with key_id and public_key');
  }
  return list as ReceiptPublicKey[];
}

/**
 * The configured receipt signer set, when there is one: the keys file's `signer_set` (GET
 * /v1/receipts/keys publishes it), or without a file the database's app configuration.
 * Undefined when none is configured: then a valid receipt is final.
 */
export async function configuredSignerSet(file: string | undefined, cli: Cli): Promise<ReceiptSignerSet | undefined> {
  if (file === undefined) return (await cli.open()).get(ReceiptSignerSetQuery).configured;
  const value = readJson(file, 'keys') as { signer_set?: { configured?: unknown } } | null;
  const set = Array.isArray(value) ? undefined : value?.signer_set;
  if (set === undefined || set.configured === false) return undefined;
  const problem = signerSetProblem(set);
  if (problem) throw new Error(`the keys file's signer_set is not a signer set: ${problem}`);
  return set as unknown as ReceiptSignerSet;
}

export const KEYS_HELP = "GET /v1/receipts/keys's answer, saved (default: the keys in the configured database)";
