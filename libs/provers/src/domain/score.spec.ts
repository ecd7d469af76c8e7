import fc from 'fast-check';
import Decimal from 'decimal.js';
import {
  applyDeltas,
  applyScoreEvent,
  decayScore,
  emaStep,
  foldOutcomes,
  idleSince,
  nextScore,
  normalizeScore,
  Outcome,
  NEUTRAL_SCORE,
  scoreAt,
  scoreNumberAt,
} from './score';

const outcome = fc.constantFrom<Outcome>('success', 'failure');
const outcomes = fc.array(outcome, { maxLength: 200 });
/** Any stored score: 0..100 with up to 6 decimals. */
const score = fc.integer({ min: 0, max: 100_000_000 }).map((micro) => new Decimal(micro).div(1_000_000).toFixed());
/** Alphas with up to 4 decimals in (0, 1]. */
const alpha = fc.integer({ min: 1, max: 10_000 }).map((n) => new Decimal(n).div(10_000).toFixed());
const cmp = (a: string, b: string) => new Decimal(a).cmp(b);

describe('EMA scorecard arithmetic', () => {
  it('moves 10% of the way with α 0.1: 50 → 55 on success, 45 on failure', () => {
    expect(emaStep('50', 'success', '0.1')).toBe('55');
    expect(emaStep('50', 'failure', '0.1')).toBe('45');
    expect(foldOutcomes('50', ['success', 'failure'], '0.1')).toBe('49.5');
    expect(foldOutcomes('50', ['failure', 'success'], '0.1')).toBe('50.5');
  });

  it('rounds half-even to 6 places at every step', () => {
    expect(emaStep('33.3333335', 'success', '0.1')).toBe('40'); // 40.00000015
    expect(emaStep('33.333335', 'success', '0.1')).toBe('40.000002'); // 40.0000015: a tie, up to the even 2
    expect(emaStep('0.000005', 'failure', '0.1')).toBe('0.000004'); // 0.0000045: a tie, down to the even 4
    expect(emaStep('0.000015', 'failure', '0.1')).toBe('0.000014'); // 0.0000135: a tie, up to the even 4
    expect(normalizeScore('12.0000025')).toBe('12.000002');
    expect(normalizeScore('12.0000035')).toBe('12.000004');
  });

  it('stays within [0, 100] for any start, α and outcomes', () => {
    fc.assert(
      fc.property(score, alpha, outcomes, (s, a, os) => {
        let current = s;
        for (const o of os) {
          current = emaStep(current, o, a);
          if (cmp(current, '0') < 0 || cmp(current, '100') > 0) return false;
        }
        return true;
      }),
    );
  });

  it('is deterministic: folding the same outcomes gives the same score, split or whole', () => {
    fc.assert(
      fc.property(score, alpha, outcomes, fc.nat(), (s, a, os, cut) => {
        const at = os.length === 0 ? 0 : cut % (os.length + 1);
        const whole = foldOutcomes(s, os, a);
        const split = foldOutcomes(foldOutcomes(s, os.slice(0, at), a), os.slice(at), a);
        return whole === foldOutcomes(s, [...os], a) && whole === split;
      }),
    );
  });

  it('a success never lowers and a failure never raises the score', () => {
    fc.assert(
      fc.property(
        score,
        alpha,
        (s, a) => cmp(emaStep(s, 'success', a), s) >= 0 && cmp(emaStep(s, 'failure', a), s) <= 0,
      ),
    );
  });

  it('α 1 jumps straight to the outcome; the bounds are fixed points of their outcome', () => {
    expect(emaStep('37.5', 'success', '1')).toBe('100');
    expect(emaStep('37.5', 'failure', '1')).toBe('0');
    expect(emaStep('100', 'success', '0.3')).toBe('100');
    expect(emaStep('0', 'failure', '0.3')).toBe('0');
  });

  it('rejects α outside (0, 1] and negative deltas', () => {
    for (const bad of ['0', '-0.1', '1.5']) expect(() => emaStep('50', 'success', bad)).toThrow(RangeError);
    expect(() => applyDeltas('50', -1, 0, '0.1')).toThrow(RangeError);
    expect(() => applyDeltas('50', 0, 1.5, '0.1')).toThrow(RangeError);
  });

  it('applies an event with both deltas as its successes, then its failures', () => {
    expect(applyDeltas('50', 2, 1, '0.1')).toBe(foldOutcomes('50', ['success', 'success', 'failure'], '0.1'));
    expect(applyDeltas('61.25', 0, 0, '0.1')).toBe('61.25');
  });
});

describe('idle decay toward 50', () => {
  const day = 86_400_000;
  const t0 = new Date('2025-01-01T00:00:00Z');
  const after = (ms: number) => new Date(t0.getTime() + ms);

  it('halves the distance to 50 every half-life', () => {
    expect(decayScore('90', t0, after(day), day)).toBe('70');
    expect(decayScore('90', t0, after(2 * day), day)).toBe('60');
    expect(decayScore('10', t0, after(day), day)).toBe('30');
    expect(decayScore('90', t0, after(day / 2), day)).toBe('78.284271'); // 50 + 40/√2
  });

  it('does nothing without a last score, with a clock behind it, or when turned off', () => {
    expect(decayScore('90', null, after(day), day)).toBe('90');
    expect(decayScore('90', t0, after(-5000), day)).toBe('90');
    expect(decayScore('90', t0, after(day), 0)).toBe('90');
    expect(decayScore('90', t0, t0, day)).toBe('90');
  });

  it('moves toward 50 and never crosses it, more with more idle time', () => {
    fc.assert(
      fc.property(score, fc.nat({ max: 100 * day }), fc.nat({ max: 100 * day }), (s, x, y) => {
        const [short, long] = x <= y ? [x, y] : [y, x];
        const a = decayScore(s, t0, after(short), day);
        const b = decayScore(s, t0, after(long), day);
        const dist = (v: string) => new Decimal(v).minus(NEUTRAL_SCORE).abs();
        const sameSide = (v: string) => new Decimal(v).minus(50).times(new Decimal(s).minus(50)).gte(0);
        return dist(b).lte(dist(a)) && dist(a).lte(dist(s)) && sameSide(a) && sameSide(b);
      }),
    );
  });

  it('decays exactly as 50 + (s − 50)·0.5^(Δt / half-life), rounded half-even to 6 places', () => {
    const D40 = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_EVEN });
    fc.assert(
      fc.property(score, fc.integer({ min: 1, max: 1000 * day }), (s, dt) => {
        const factor = new D40('0.5').pow(new D40(dt).div(day));
        const expected = new D40(s).minus(50).times(factor).plus(50).toDecimalPlaces(6, Decimal.ROUND_HALF_EVEN);
        return decayScore(s, t0, after(dt), day) === expected.toFixed();
      }),
      { numRuns: 300 },
    );
  });

  it('nextScore decays to the event time, then applies the outcomes (idle at once: SCORE_IDLE_AFTER_MS 0)', () => {
    const settings = { alpha: '0.1', decayHalfLifeMs: day, idleAfterMs: 0 };
    expect(nextScore({ score: '90', lastScoredAt: t0 }, { success: 1, failure: 0 }, after(day), settings)).toBe('73');
    expect(nextScore({ score: '50', lastScoredAt: null }, { success: 1, failure: 0 }, after(day), settings)).toBe('55');
  });

  describe('only idle provers decay (the defaults: half-life 1 day, idle after 1 hour)', () => {
    const hour = 3_600_000;
    const defaults = { alpha: '0.1', decayHalfLifeMs: day, idleAfterMs: hour };

    it('3 successes then 1 failure seconds apart follow the EMA law exactly: 55, 59.5, 63.55, 57.195', () => {
      let card = { score: NEUTRAL_SCORE, lastScoredAt: null as Date | null };
      const scores = (['success', 'success', 'success', 'failure'] as const).map((o, i) => {
        const at = after(i * 2000);
        const score = nextScore(
          card,
          { success: o === 'success' ? 1 : 0, failure: o === 'failure' ? 1 : 0 },
          at,
          defaults,
        );
        card = { score, lastScoredAt: at };
        return score;
      });
      expect(scores).toEqual(['55', '59.5', '63.55', '57.195']);
    });

    it('an active prover keeps its EMA score; an idle one decays from the moment it became idle', () => {
      const card = { score: '90', lastScoredAt: t0 };
      expect(idleSince(t0, hour)).toEqual(after(hour));
      expect(idleSince(null, hour)).toBeNull();
      expect(scoreAt(card, after(hour - 1), defaults)).toBe('90');
      expect(scoreAt(card, after(hour), defaults)).toBe('90'); // continuous at the idle point
      expect(scoreAt(card, after(hour + day), defaults)).toBe('70'); // one half-life after becoming idle
      expect(scoreAt(card, after(hour + 2 * day), defaults)).toBe('60');
      expect(nextScore(card, { success: 1, failure: 0 }, after(hour + day), defaults)).toBe('73');
      expect(nextScore(card, { success: 1, failure: 0 }, after(hour - 1), defaults)).toBe('91');
      // Idle after 0 is the old rule: decay from the last score.
      expect(scoreAt(card, after(day), { ...defaults, idleAfterMs: 0 })).toBe('70');
    });

    it('the decayed score is continuous and monotone in time across the idle point', () => {
      fc.assert(
        fc.property(score, fc.nat({ max: 3 * hour }), fc.nat({ max: 3 * hour }), (s, x, y) => {
          const [early, late] = x <= y ? [x, y] : [y, x];
          const dist = (ms: number) =>
            new Decimal(scoreAt({ score: s, lastScoredAt: t0 }, after(ms), defaults)).minus(50).abs();
          return dist(late).lte(dist(early)) && (early > hour || dist(early).eq(new Decimal(s).minus(50).abs()));
        }),
        { numRuns: 200 },
      );
    });

    it('scoreNumberAt is exactly Number(scoreAt), active or idle, near rounding ties too', () => {
      const card = (s: string, lastScoredAt: Date | null) => ({ score: s, lastScoredAt });
      expect(scoreNumberAt(card('63.550000', t0), after(1000), defaults)).toBe(63.55); // active: no decay
      expect(scoreNumberAt(card('90', t0), after(hour + day), defaults)).toBe(70);
      expect(scoreNumberAt(card('90', null), after(hour + day), defaults)).toBe(90);
      fc.assert(
        fc.property(score, fc.integer({ min: 0, max: 30 * day }), fc.constantFrom(0, hour), (s, dt, idleAfterMs) => {
          const settings = { ...defaults, idleAfterMs };
          return scoreNumberAt(card(s, t0), after(dt), settings) === Number(scoreAt(card(s, t0), after(dt), settings));
        }),
        { numRuns: 3000 },
      );
      // Inputs whose decayed value lies within 1e-9 of a tie of the sixth decimal take the exact path.
      let nearTies = 0;
      for (let dt = 1; nearTies < 5 && dt < 1e9; dt += 7919) {
        const micros = (50 + 40 * Math.pow(2, -dt / day)) * 1e6;
        if (Math.abs(micros - Math.floor(micros) - 0.5) > 1e-3) continue;
        nearTies++;
        expect(scoreNumberAt(card('90', t0), after(dt), { ...defaults, idleAfterMs: 0 })).toBe(
          Number(decayScore('90', t0, after(dt), day)),
        );
      }
      expect(nearTies).toBe(5);
    });
  });

  describe("applyScoreEvent (the persistor's optimistic rule)", () => {
    const settings = { alpha: '0.1', decayHalfLifeMs: 0, idleAfterMs: 0 };
    const event = (expected_version: number, new_score_value = '55') => ({
      expected_version,
      new_score_value,
      delta_success: 1,
      delta_failure: 0,
      emitted_at: '2025-01-01T00:00:00.000Z',
    });

    it('an event computed from the version it meets is applied with its own score', () => {
      const { card, recomputed } = applyScoreEvent({ version: 0, score: '50', lastScoredAt: null }, event(0), settings);
      expect(recomputed).toBe(false);
      expect(card).toEqual({ version: 1, score: '55', lastScoredAt: new Date('2025-01-01T00:00:00.000Z') });
    });

    it('an event computed from another version lost a race: recomputed from the scorecard it meets', () => {
      const { card, recomputed } = applyScoreEvent({ version: 1, score: '45', lastScoredAt: null }, event(0), settings);
      expect(recomputed).toBe(true);
      expect(card).toMatchObject({ version: 2, score: emaStep('45', 'success', '0.1') });
    });

    it('folding events that all expected version 0 gives the sequential EMA fold, whatever their order', () => {
      fc.assert(
        fc.property(outcomes, (os) => {
          let card = { version: 0, score: '50', lastScoredAt: null as Date | null };
          for (const o of os) {
            const e = { ...event(0, emaStep('50', o, '0.1')), delta_success: o === 'success' ? 1 : 0 };
            card = applyScoreEvent(card, { ...e, delta_failure: o === 'failure' ? 1 : 0 }, settings).card;
          }
          return card.version === os.length && card.score === foldOutcomes('50', os, '0.1');
        }),
      );
    });

    it('never moves the last scored time back', () => {
      const later = new Date('2026-01-01T00:00:00.000Z');
      const { card } = applyScoreEvent({ version: 0, score: '50', lastScoredAt: later }, event(0), settings);
      expect(card.lastScoredAt).toEqual(later);
    });
  });
});
