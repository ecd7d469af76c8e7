import { canonicalJson, sha256Hex } from '@tally/shared';
import {
  chainRows,
  CONTROL_LOG_GENESIS,
  controlLogHash,
  type ChainedControlLogRow,
  essentialFields,
  firstBrokenLink,
} from './control-log';

function chain(n: number): ChainedControlLogRow[] {
  const rows: ChainedControlLogRow[] = [];
  let prevHash = CONTROL_LOG_GENESIS;
  for (let i = 1; i <= n; i++) {
    const row = {
      seq: String(i),
      at: new Date(Date.UTC(2026, 11, 7, 0, 0, i)),
      actorKeyId: i % 2 ? 'k1' : null,
      actorRole: i % 2 ? 'admin' : 'cli',
      actorSubject: 'ops',
      action: 'credits.mint',
      fields: canonicalJson({ body: { amount: String(i) } }),
      outcome: 'ok' as const,
      errorCode: null,
      prevHash,
    };
    const hash = controlLogHash(row);
    rows.push({ ...row, hash });
    prevHash = hash;
  }
  return rows;
}
const genesis = { seq: '0', hash: CONTROL_LOG_GENESIS };

describe('control log chain', () => {
  it('hashes the canonical JSON of the row with its previous hash', () => {
    const [row] = chain(1);
    expect(row.hash).toBe(
      sha256Hex(
        canonicalJson({
          seq: '1',
          at: '2026-12-07T00:00:01.000Z',
          actor: { key_id: 'k1', role: 'admin', subject: 'ops' },
          action: 'credits.mint',
          fields: '{"body":{"amount":"1"}}',
          outcome: 'ok',
          error_code: null,
          prev_hash: CONTROL_LOG_GENESIS,
        }),
      ),
    );
  });

  it('accepts an intact chain, from its start or from any verified row', () => {
    const rows = chain(5);
    expect(firstBrokenLink(rows, genesis)).toBeNull();
    expect(firstBrokenLink(rows.slice(3), rows[2])).toBeNull();
  });

  it('chains unchained rows after a head, gaps in seq and all, as verification recomputes them', () => {
    const rows = chain(5);
    const unchained = [rows[3], rows[4]].map((r, i) => ({ ...r, seq: String(7 + 2 * i), prevHash: null, hash: null }));
    const chained = chainRows(unchained, rows[2]);
    expect(chained[0].prevHash).toBe(rows[2].hash);
    expect(chained[1].prevHash).toBe(chained[0].hash);
    expect(firstBrokenLink([...rows.slice(0, 3), ...chained], genesis)).toBeNull();
    expect(firstBrokenLink([chained[0], chained[0]], rows[2])).toEqual({
      seq: '7',
      why: 'follows seq 7: out of order',
    });
  });

  it('names the first row that was changed, removed or relinked', () => {
    const changed = chain(5);
    changed[2] = { ...changed[2], fields: '{"body":{"amount":"300"}}' };
    expect(firstBrokenLink(changed, genesis)).toEqual({ seq: '3', why: 'its hash does not match its contents' });

    const removed = chain(5).filter((r) => r.seq !== '2');
    expect(firstBrokenLink(removed, genesis)).toEqual({ seq: '3', why: "does not name the previous row's hash" });

    // A rewritten row with a fresh hash still breaks the link of the row after it.
    const rewritten = chain(5);
    const forged = { ...rewritten[1], outcome: 'rejected' as const, errorCode: 'DSE-008' };
    rewritten[1] = { ...forged, hash: controlLogHash(forged) };
    expect(firstBrokenLink(rewritten, genesis)).toEqual({ seq: '3', why: "does not name the previous row's hash" });
  });
});

describe('essentialFields', () => {
  it('keeps path parameters, query and body, and withholds credential-named body fields', () => {
    expect(essentialFields({ id: 'x' }, { url: 'https://h', secret: 's3cr3t', Token: 't' }, {})).toEqual({
      params: { id: 'x' },
      body: { url: 'https://h', secret: '[withheld]', Token: '[withheld]' },
    });
    expect(essentialFields({}, undefined, { limit: '2' })).toEqual({ query: { limit: '2' } });
    expect(essentialFields(undefined, {})).toEqual({});
  });
});
