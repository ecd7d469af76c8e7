import { UUID_PATTERN } from '@tally/shared';
import { accountTypeInputs, MEMO_MAX_LENGTH } from '../../domain';
import { AMOUNT_PATTERN, ID_PATTERN } from '../dto/validators';
import type { BatchItemKind } from './transfer-batch.dto';

/**
 * A fast check of the plain item shapes a batch is mostly made of, for 8,190 items at a
 * time: class-transformer and class-validator cost ~90 µs an item, most of a batch's time.
 *
 * It accepts only what the item's DTO surely accepts, using the DTOs' own patterns and
 * lists; anything else (metadata, entries, an unknown field, a wrong value) goes to the
 * validation pipe, which decides and words the refusal. A property test holds the two
 * together: whatever this accepts, the pipe accepts and turns into the same request.
 */
export function fastChecked(item: Record<string, unknown>, kind: BatchItemKind): Record<string, unknown> | undefined {
  const allowed = FIELDS[kind];
  for (const key in item) {
    if (!Object.hasOwn(allowed, key) || !allowed[key](item[key])) return undefined;
  }
  for (const key of REQUIRED[kind]) if (item[key] === undefined) return undefined;
  return item;
}

type Check = (v: unknown) => boolean;

const pattern =
  (p: RegExp): Check =>
  (v) =>
    typeof v === 'string' && p.test(v);
const oneOf =
  (list: readonly string[]): Check =>
  (v) =>
    typeof v === 'string' && list.includes(v);
const bool: Check = (v) => typeof v === 'boolean';
const uuid = pattern(UUID_PATTERN);
const amount = pattern(AMOUNT_PATTERN);
const identifier = pattern(ID_PATTERN);
/** An account reference object with exactly its two fields. */
const accountRef: Check = (v) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  const r = v as Record<string, unknown>;
  return keys.length === 2 && oneOf(ANY_ACCOUNT_TYPE)(r.account_type) && identifier(r.account_id);
};
const ANY_ACCOUNT_TYPE = accountTypeInputs();
const AMOUNT_ACCOUNT_TYPE = accountTypeInputs(['user', 'provider', 'platform']);

/** Fields every item may carry (created_at only with imported: left to the pipe and the route). */
const COMMON: Record<string, Check> = {
  id: uuid,
  kind: () => true, // chose FIELDS[kind] already
  linked: bool,
};
const REFERENCES: Record<string, Check> = {
  memo: (v) => typeof v === 'string' && v.length <= MEMO_MAX_LENGTH,
  job_id: identifier,
};
const ACCOUNT_AMOUNT: Record<string, Check> = {
  ...REFERENCES,
  account_type: oneOf(AMOUNT_ACCOUNT_TYPE),
  account_id: identifier,
  amount,
};

const FIELDS: Record<BatchItemKind, Record<string, Check>> = {
  mint: { ...COMMON, ...ACCOUNT_AMOUNT },
  transfer: { ...COMMON, ...REFERENCES, from: accountRef, to: accountRef, amount },
  hold: {
    ...COMMON,
    ...ACCOUNT_AMOUNT,
    expires_in_seconds: (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 30 * 24 * 3600,
  },
  capture: { ...COMMON, hold_id: uuid, amount, to: accountRef },
  void: { ...COMMON, hold_id: uuid },
};

const REQUIRED: Record<BatchItemKind, string[]> = {
  mint: ['id', 'account_type', 'account_id', 'amount'],
  transfer: ['id', 'from', 'to', 'amount'],
  hold: ['id', 'account_type', 'account_id', 'amount'],
  capture: ['id', 'hold_id', 'amount'],
  void: ['id', 'hold_id'],
};
