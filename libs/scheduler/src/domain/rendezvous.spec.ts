import fc from 'fast-check';
import { pick, rank, rendezvousHash, topN, type WeightedCandidate } from './rendezvous';

/** Distinct prover ids with weights in a sane range. */
const candidatesArb = (min = 1, max = 12) =>
  fc
    .uniqueArray(fc.stringMatching(/^[a-z0-9-]{1,12}$/), { minLength: min, maxLength: max })
    .chain((ids) =>
      fc
        .array(fc.double({ min: 0.001, max: 100, noNaN: true }), { minLength: ids.length, maxLength: ids.length })
        .map((ws) => ids.map((proverId, i) => ({ proverId, weight: ws[i] }))),
    );

/** A permutation of `items` driven by fast-check (so failures shrink and replay). */
const shuffled = <T>(items: T[]) =>
  fc
    .array(fc.integer(), { minLength: items.length, maxLength: items.length })
    .map((keys) => items.map((item, i) => ({ item, k: keys[i], i })))
    .map((tagged) => tagged.sort((a, b) => a.k - b.k || b.i - a.i).map((t) => t.item));

describe('rendezvousHash', () => {
  it('is the top 53 bits of SHA-256(key:prover) as (x + 0.5) / 2^53 (the same on every machine)', () => {
    // sha256("job-1:prover-a") starts 88554077b03176cd; 0x88554077b03176cd >> 11 = 4796791525869102.
    expect(rendezvousHash('job-1', 'prover-a')).toBe((4796791525869102 + 0.5) / 2 ** 53);
    expect(rendezvousHash('job-1', 'prover-b')).toBe((5000434639955236 + 0.5) / 2 ** 53);
  });

  it('is always strictly between 0 and 1', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (key, prover) => {
        const h = rendezvousHash(key, prover);
        return h > 0 && h < 1;
      }),
    );
  });
});

describe('rank / topN', () => {
  it('orders by −w/ln(h), highest first, and numbers the ranks from 1', () => {
    const ranked = rank('job-1', [
      { proverId: 'prover-a', weight: 1 },
      { proverId: 'prover-b', weight: 1 },
    ]);
    // −1/ln(0.5326) = 1.587 < −1/ln(0.5552) = 1.699: prover-b wins at equal weights.
    expect(ranked.map((p) => [p.proverId, p.rank])).toEqual([
      ['prover-b', 1],
      ['prover-a', 2],
    ]);
    // Weight moves it: prover-a at weight 2 scores 3.17.
    expect(
      pick('job-1', [
        { proverId: 'prover-a', weight: 2 },
        { proverId: 'prover-b', weight: 1 },
      ])?.proverId,
    ).toBe('prover-a');
  });

  it('breaks an exact tie by prover id ascending', () => {
    // The same prover twice under different names is impossible, but a zero-spread case is
    // not: two provers whose scores are equal. Force it with weights scaled to the hash.
    const ha = rendezvousHash('k', 'b-prover');
    const hb = rendezvousHash('k', 'a-prover');
    const ranked = rank('k', [
      { proverId: 'b-prover', weight: -Math.log(ha) },
      { proverId: 'a-prover', weight: -Math.log(hb) },
    ]);
    expect(ranked[0].score).toBe(ranked[1].score);
    expect(ranked.map((p) => p.proverId)).toEqual(['a-prover', 'b-prover']);
  });

  it('returns at most n distinct provers, and all of them when n is larger', () => {
    const cs = [
      { proverId: 'a', weight: 1 },
      { proverId: 'b', weight: 1 },
      { proverId: 'a', weight: 3 },
    ];
    expect(
      topN('x', cs, 5)
        .map((p) => p.proverId)
        .sort(),
    ).toEqual(['a', 'b']);
    expect(topN('x', cs, 5).find((p) => p.proverId === 'a')?.weight).toBe(3);
    expect(topN('x', cs, 1)).toHaveLength(1);
    expect(topN('x', cs, 0)).toEqual([]);
    expect(topN('x', [], 3)).toEqual([]);
    expect(pick('x', [])).toBeUndefined();
  });

  it('rejects a weight that is not a finite number > 0', () => {
    for (const weight of [0, -1, NaN, Infinity]) {
      expect(() => rank('x', [{ proverId: 'a', weight }])).toThrow(RangeError);
    }
  });

  it('property: shuffling the candidates never changes the result', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 40 }),
        candidatesArb().chain((cs) => fc.tuple(fc.constant(cs), shuffled(cs))),
        fc.integer({ min: 1, max: 16 }),
        (key, [cs, reordered], n) => {
          expect(topN(key, reordered, n)).toEqual(topN(key, cs, n));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: topN is a prefix of the full ranking (top 3 extends the first choice)', () => {
    fc.assert(
      fc.property(fc.uuid(), candidatesArb(), (key, cs) => {
        const all = rank(key, cs).map((p) => p.proverId);
        expect(topN(key, cs, 3).map((p) => p.proverId)).toEqual(all.slice(0, 3));
        expect(pick(key, cs)?.proverId).toBe(all[0]);
      }),
    );
  });

  it('property: removing a prover only moves the keys it had won', () => {
    fc.assert(
      fc.property(candidatesArb(2, 8), fc.array(fc.uuid(), { minLength: 50, maxLength: 50 }), (cs, keys) => {
        const gone = cs[0].proverId;
        const rest = cs.slice(1);
        for (const key of keys) {
          const before = pick(key, cs)!.proverId;
          if (before !== gone) expect(pick(key, rest)!.proverId).toBe(before);
        }
      }),
      { numRuns: 50 },
    );
  });

  /**
   * With h uniform, P(prover i wins) = w_i / Σw. Over 10,000 keys the share of each prover
   * stays within ±2 percentage points of that (the standard error is at most 0.5 pp, so
   * 2 pp is four of them).
   */
  it('property: over 10,000 keys each prover wins its weight share within ±2 percentage points', () => {
    const KEYS = 10_000;
    const keys = Array.from({ length: KEYS }, (_, i) => `job-${i}`);
    fc.assert(
      fc.property(
        fc
          .integer({ min: 2, max: 6 })
          .chain((n) =>
            fc
              .array(fc.integer({ min: 1, max: 20 }), { minLength: n, maxLength: n })
              .map((ws) => ws.map((w, i): WeightedCandidate => ({ proverId: `prover-${i}`, weight: w / 10 }))),
          ),
        (cs) => {
          const total = cs.reduce((s, c) => s + c.weight, 0);
          const wins = new Map<string, number>();
          for (const key of keys) {
            const winner = pick(key, cs)!.proverId;
            wins.set(winner, (wins.get(winner) ?? 0) + 1);
          }
          for (const c of cs) {
            const share = (wins.get(c.proverId) ?? 0) / KEYS;
            expect(Math.abs(share - c.weight / total)).toBeLessThanOrEqual(0.02);
          }
        },
      ),
      { numRuns: 8 },
    );
  });
});
