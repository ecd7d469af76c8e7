import fc from 'fast-check';
import { createValidationPipe } from '@tally/shared';
import { fastChecked } from './fast-item-check';
import { requestOf } from './transfer-batch.controller';
import { BATCH_ITEM_DTOS, BATCH_ITEM_KINDS, type BatchItemKind } from './transfer-batch.dto';

const pipe = createValidationPipe();
const NOW = new Date('2026-01-01T00:00:00Z');

/** Values near and at the edges of what the DTOs accept, and some that are plainly wrong. */
const anyValue = fc.oneof(
  fc.constantFrom(
    '0',
    '1',
    '0.000001',
    '12.5',
    '1.1234567',
    '-1',
    '01',
    '1e3',
    ' 1',
    '',
    'alice',
    'bob@x',
    '..',
    '.',
    'a'.repeat(128),
    'a'.repeat(129),
    'user',
    'provider',
    'prover',
    'platform',
    'escrow',
    'issuance',
    'main',
    'nobody',
    '6f1c1c1e-6a4b-4f7c-9d7e-2b1a0c9d8e7f',
    '6F1C1C1E-6A4B-4F7C-9D7E-2B1A0C9D8E7F',
    'm'.repeat(512),
    'm'.repeat(513),
    '😀'.repeat(300),
  ),
  fc.constantFrom(null, true, false, 0, 1, 3600, 2_592_000, 2_592_001, 1.5, -5, [], {}),
  fc.record({
    account_type: fc.constantFrom('user', 'prover', 'escrow', 'x'),
    account_id: fc.constantFrom('a', '', '..'),
  }),
  fc.record(
    {
      account_type: fc.constantFrom('user', 'platform'),
      account_id: fc.constantFrom('a', 'main'),
      extra: fc.constant(1),
    },
    { requiredKeys: ['account_type', 'account_id'] },
  ),
  fc.string(),
);
const FIELD_NAMES = [
  'id',
  'linked',
  'memo',
  'job_id',
  'account_type',
  'account_id',
  'amount',
  'from',
  'to',
  'hold_id',
  'expires_in_seconds',
  'metadata',
  'imported',
  'created_at',
  'entries',
  'other',
];
const item = fc
  .tuple(fc.constantFrom(...BATCH_ITEM_KINDS), fc.dictionary(fc.constantFrom(...FIELD_NAMES), anyValue, { maxKeys: 8 }))
  .map(([kind, fields]) => ({ kind, ...fields }) as Record<string, unknown> & { kind: BatchItemKind });

const valid = fc.oneof(
  fc.record({
    id: fc.uuid({ version: 4 }),
    kind: fc.constant('mint' as const),
    account_type: fc.constantFrom('user', 'provider', 'prover', 'platform'),
    account_id: fc.constantFrom('alice', 'main', 'p-1'),
    amount: fc.constantFrom('1', '0.5', '100'),
  }),
  fc.record({
    id: fc.uuid({ version: 4 }),
    kind: fc.constant('transfer' as const),
    from: fc.record({ account_type: fc.constantFrom('user', 'platform'), account_id: fc.constantFrom('a', 'main') }),
    to: fc.record({ account_type: fc.constantFrom('user', 'prover'), account_id: fc.constantFrom('b', 'p') }),
    amount: fc.constantFrom('1', '0.000001'),
    linked: fc.boolean(),
  }),
);

/** A valid item with one field set to a value near the edges (or removed). */
const mutated = fc
  .tuple(valid, fc.constantFrom(...FIELD_NAMES, 'kind'), fc.option(anyValue, { nil: undefined }))
  .map(([v, field, value]) => ({ ...v, [field]: value }) as Record<string, unknown> & { kind: BatchItemKind })
  .filter((v) => (BATCH_ITEM_KINDS as readonly unknown[]).includes(v.kind));

describe('fastChecked', () => {
  it('accepts only what the validation pipe accepts, and means the same request', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(item, valid, mutated), async (raw) => {
        const fast = fastChecked(raw, raw.kind);
        if (!fast) return;
        const checked = await pipe.transform(structuredClone(raw), {
          type: 'body',
          metatype: BATCH_ITEM_DTOS[raw.kind],
        });
        let expected: unknown;
        let actual: unknown;
        try {
          expected = requestOf(checked, NOW);
        } catch (e) {
          expected = (e as Error).message;
        }
        try {
          actual = requestOf(fast as never, NOW);
        } catch (e) {
          actual = (e as Error).message;
        }
        expect(actual).toEqual(expected);
      }),
      { numRuns: 3000 },
    );
  });

  it('takes the plain shapes a batch is mostly made of', () => {
    fc.assert(fc.property(valid, (raw) => expect(fastChecked(raw, raw.kind)).toBe(raw)));
  });

  it('leaves fields it does not check to the pipe', () => {
    const base = {
      id: '6f1c1c1e-6a4b-4f7c-9d7e-2b1a0c9d8e7f',
      kind: 'mint',
      account_type: 'user',
      account_id: 'a',
      amount: '1',
    };
    expect(fastChecked({ ...base, metadata: {} }, 'mint')).toBeUndefined();
    expect(fastChecked({ ...base, imported: true, created_at: '2020-01-01T00:00:00Z' }, 'mint')).toBeUndefined();
    expect(fastChecked({ ...base, linked: null }, 'mint')).toBeUndefined();
    expect(fastChecked({ ...base, amount: undefined }, 'mint')).toBeUndefined();
  });
});
