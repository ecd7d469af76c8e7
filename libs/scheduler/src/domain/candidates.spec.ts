import fc from 'fast-check';
import { candidatesFor, exclusion, isLive, type ScoredProver } from './candidates';
import { topN } from './rendezvous';
import { MIN_WEIGHT, proverWeight, weightsOf } from './weight';

const now = new Date('2025-01-01T00:00:00.000Z');
const liveness = { now, ttlMs: 15_000 };
const weights = weightsOf({ w_score: '1', w_load: '1' });

function prover(id: string, over: Partial<ScoredProver> = {}): ScoredProver {
  return {
    proverId: id,
    state: 'active',
    lastHeartbeat: new Date(now.getTime() - 1000),
    maxConcurrency: 2,
    activeJobs: 0,
    scoreValue: '50.000000',
    currentScore: 50,
    loadFactor: '0.000000',
    latencyMs: null,
    region: null,
    hardwareProfile: { gpu_count: 1, gpu_memory_gb: 24 },
    capabilities: { supported_kernels: ['msm'] },
    ...over,
  };
}

describe('candidate filter', () => {
  it('keeps active, live provers below max_concurrency that meet the requirements', () => {
    const rows = [
      prover('ok'),
      prover('draining', { state: 'draining' }),
      prover('offline', { state: 'offline' }),
      prover('stale', { lastHeartbeat: new Date(now.getTime() - 15_001) }),
      prover('never', { lastHeartbeat: null }),
      prover('full', { activeJobs: 2 }),
      prover('small', { hardwareProfile: { gpu_count: 1, gpu_memory_gb: 16 } }),
      prover('holder'),
      prover('edge', { lastHeartbeat: new Date(now.getTime() - 15_000) }),
    ];
    const job = {
      requirements: { supported_kernels: ['msm'] },
      hardwareRequirements: { gpu_memory_gb: 24 },
      holders: new Set(['holder']),
    };
    expect(candidatesFor(rows, job, liveness, weights).map((c) => c.proverId)).toEqual(['ok', 'edge']);
    expect(Object.fromEntries(rows.map((r) => [r.proverId, exclusion(r, job, liveness)]))).toEqual({
      ok: null,
      draining: 'draining',
      offline: 'offline',
      stale: 'not live',
      never: 'not live',
      full: 'at max_concurrency',
      small: 'service hardware requirements not met',
      holder: 'already holds a replica',
      edge: null,
    });
  });

  it("keeps only provers whose bonded stake meets the service's minimum, when it has one", () => {
    const rows = [
      prover('exact', { bondedStakeMicros: 5_000_000n }),
      prover('more', { bondedStakeMicros: 9_000_000n }),
      prover('short', { bondedStakeMicros: 4_999_999n }),
      prover('none'),
    ];
    const staked = { requirements: {}, minStakeMicros: 5_000_000n };
    expect(candidatesFor(rows, staked, liveness, weights).map((c) => c.proverId)).toEqual(['exact', 'more']);
    expect(exclusion(rows[2], staked, liveness)).toBe('bonded stake below the service minimum');
    for (const job of [{ requirements: {} }, { requirements: {}, minStakeMicros: null }]) {
      expect(candidatesFor(rows, job, liveness, weights)).toHaveLength(4);
    }
    expect(candidatesFor(rows, { requirements: {}, minStakeMicros: 0n }, liveness, weights)).toHaveLength(4);
  });

  it('isLive: a heartbeat exactly TTL old is live, a millisecond more is not', () => {
    expect(isLive({ lastHeartbeat: new Date(now.getTime() - 15_000) }, liveness)).toBe(true);
    expect(isLive({ lastHeartbeat: new Date(now.getTime() - 15_001) }, liveness)).toBe(false);
  });

  it('weighs score and idle share: w = max(ε, w_score·score/100 + w_load·(1 − load))', () => {
    expect(proverWeight('50.000000', '0.000000', weights)).toBe(1.5);
    expect(proverWeight('100', '1', weights)).toBe(1);
    expect(proverWeight('0', '1', weights)).toBe(MIN_WEIGHT);
    expect(proverWeight('80', '0.25', weightsOf({ w_score: '2', w_load: '0.5' }))).toBeCloseTo(1.975, 12);
    expect(proverWeight('80', '0.25', weightsOf({ w_score: '0', w_load: '1' }))).toBe(0.75);
    expect(proverWeight('not a number', '0', weights)).toBe(MIN_WEIGHT);
  });

  it('weighs the current score (idle decay included), not the stored one', () => {
    // Stored 90, decayed to 70 by the read: the weight is 0.7 + 1, as GET /v1/provers' 70 gives.
    const idle = prover('idle', { scoreValue: '90.000000', currentScore: 70 });
    const [c] = candidatesFor([idle], { requirements: {} }, liveness, weights);
    expect(c.weight).toBe(proverWeight('70', '0.000000', weights));
    expect(c.weight).not.toBe(proverWeight(idle.scoreValue, '0.000000', weights));
  });

  it('property: the chosen provers do not depend on the order of the rows', () => {
    const rowArb = fc.record({
      id: fc.stringMatching(/^p-[a-z0-9]{1,6}$/),
      state: fc.constantFrom('active', 'active', 'active', 'draining', 'offline'),
      age: fc.integer({ min: 0, max: 20_000 }),
      active: fc.integer({ min: 0, max: 3 }),
      score: fc.integer({ min: 0, max: 100_000_000 }),
      load: fc.integer({ min: 0, max: 1_000_000 }),
      gpus: fc.integer({ min: 0, max: 4 }),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(rowArb, { selector: (r) => r.id, minLength: 0, maxLength: 20 }),
        fc.uuid(),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 0, max: 2 }),
        fc.func(fc.integer()),
        (specs, jobId, replicas, gpus, sortKey) => {
          const rows = specs.map((s) =>
            prover(s.id, {
              state: s.state,
              lastHeartbeat: new Date(now.getTime() - s.age),
              activeJobs: s.active,
              maxConcurrency: 2,
              scoreValue: (s.score / 1e6).toFixed(6),
              currentScore: s.score / 1e6,
              loadFactor: (s.load / 1e6).toFixed(6),
              hardwareProfile: { gpu_count: s.gpus },
            }),
          );
          const shuffledRows = [...rows].sort((a, b) => sortKey(a.proverId) - sortKey(b.proverId));
          const job = { requirements: { gpu_count: gpus } };
          const pickFrom = (rs: ScoredProver[]) => topN(jobId, candidatesFor(rs, job, liveness, weights), replicas);
          expect(pickFrom(shuffledRows)).toEqual(pickFrom(rows));
          expect(pickFrom([...rows].reverse())).toEqual(pickFrom(rows));
        },
      ),
      { numRuns: 300 },
    );
  });
});
