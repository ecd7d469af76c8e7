import fc from 'fast-check';
import { candidatesFor, type ScoredProver } from './candidates';
import { pick, topN } from './rendezvous';
import { weightsOf } from './weight';
import { normaliseWorkloads, WORKLOAD_FIELDS, type Workload, type WorkloadField, workloadOf } from './workload';

const now = new Date('2025-01-01T00:00:00.000Z');
const liveness = { now, ttlMs: 15_000 };
const job = { requirements: {} };

interface Spec {
  id: string;
  /** Reported latency in ms; null: never reported. */
  latency: number | null;
  score: number;
  load: number;
  cores: number;
  ram: number;
  gpuMemory: number;
  iops: number;
}

function prover(s: Spec): ScoredProver {
  return {
    proverId: s.id,
    state: 'active',
    lastHeartbeat: new Date(now.getTime() - 1000),
    maxConcurrency: 4,
    activeJobs: 0,
    scoreValue: s.score.toFixed(6),
    currentScore: s.score,
    loadFactor: s.load.toFixed(6),
    latencyMs: s.latency,
    region: null,
    hardwareProfile: {
      cpu_cores: s.cores,
      ram_gb: s.ram,
      gpu_count: s.gpuMemory > 0 ? 1 : 0,
      gpu_memory_gb: s.gpuMemory,
      storage_iops: s.iops,
    },
    capabilities: {},
  };
}

const specArb = fc.record({
  id: fc.stringMatching(/^p-[a-z0-9]{1,6}$/),
  latency: fc.option(fc.integer({ min: 0, max: 600_000 }), { nil: null }),
  score: fc.integer({ min: 0, max: 100 }),
  load: fc.integer({ min: 0, max: 100 }).map((n) => n / 100),
  cores: fc.integer({ min: 1, max: 256 }),
  ram: fc.integer({ min: 0, max: 2048 }),
  gpuMemory: fc.constantFrom(0, 8, 16, 24, 40, 80),
  iops: fc.integer({ min: 0, max: 1_000_000 }),
});
const specsArb = fc.uniqueArray(specArb, { selector: (s) => s.id, minLength: 1, maxLength: 12 });
const weightArb = fc.constantFrom('0', '0.5', '1', '2.25', '10');
const configArb = fc.record({
  w_score: weightArb,
  w_load: weightArb,
  w_cpu: weightArb,
  w_ram: weightArb,
  w_gpu: weightArb,
  w_latency: weightArb,
  w_io: weightArb,
});

describe('workloadOf', () => {
  it('reads free figures as profile × (1 − load_factor) and the reported latency_ms as the latency', () => {
    const p = prover({ id: 'a', latency: 250, score: 50, load: 0.25, cores: 16, ram: 64, gpuMemory: 24, iops: 10_000 });
    expect(workloadOf(p)).toEqual({ cpu: 12, ram: 48, gpu: 18, latency: 250, io: 7500 });
    // No GPU: no GPU memory, whatever gpu_memory_gb says; 0 ms counts 1 ms; bad figures count 0.
    const q = { ...p, latencyMs: 0, hardwareProfile: { gpu_count: 0, gpu_memory_gb: 24, cpu_cores: 'x' } };
    expect(workloadOf(q)).toEqual({ cpu: 0, ram: 0, gpu: 0, latency: 1, io: 0 });
    // Never reported: Infinity, whatever the heartbeat's age.
    expect(workloadOf({ ...p, latencyMs: null }).latency).toBe(Infinity);
  });
});

describe('normaliseWorkloads', () => {
  it('divides by the most (the least for latency), and a field nobody has is 0', () => {
    const raw: Workload[] = [
      { cpu: 8, ram: 0, gpu: 24, latency: 100, io: 0 },
      { cpu: 2, ram: 0, gpu: 6, latency: 400, io: 0 },
    ];
    expect(normaliseWorkloads(raw)).toEqual([
      { cpu: 1, ram: 0, gpu: 1, latency: 1, io: 0 },
      { cpu: 0.25, ram: 0, gpu: 0.25, latency: 0.25, io: 0 },
    ]);
  });

  it('a prover that never reported a latency scores 0 on it; nobody reporting one gives 0 for all', () => {
    const zero = { cpu: 0, ram: 0, gpu: 0, io: 0 };
    const mixed = normaliseWorkloads([
      { ...zero, latency: 50 },
      { ...zero, latency: Infinity },
    ]);
    expect(mixed.map((w) => w.latency)).toEqual([1, 0]);
    const none = normaliseWorkloads([
      { ...zero, latency: Infinity },
      { ...zero, latency: Infinity },
    ]);
    expect(none.map((w) => w.latency)).toEqual([0, 0]);
  });

  it('property: scaling one field by the same factor on every prover changes nothing', () => {
    const workloadArb = fc.record({
      cpu: fc.integer({ min: 0, max: 4096 }),
      ram: fc.integer({ min: 0, max: 1 << 20 }),
      gpu: fc.integer({ min: 0, max: 1 << 16 }),
      latency: fc.integer({ min: 1, max: 15_000 }),
      io: fc.integer({ min: 0, max: 1e9 }),
    });
    fc.assert(
      fc.property(
        fc.array(workloadArb, { minLength: 1, maxLength: 12 }),
        fc.constantFrom<WorkloadField>(...WORKLOAD_FIELDS),
        fc.integer({ min: -10, max: 10 }),
        fc.double({ min: 0.001, max: 1000, noNaN: true }),
        (raw, field, power, factor) => {
          const before = normaliseWorkloads(raw);
          // A power of two scales exactly: the result is the same bits.
          const exact = normaliseWorkloads(raw.map((w) => ({ ...w, [field]: w[field] * 2 ** power })));
          expect(exact).toEqual(before);
          // Any other factor: the same up to double rounding.
          const scaled = normaliseWorkloads(raw.map((w) => ({ ...w, [field]: w[field] * factor })));
          scaled.forEach((w, i) => expect(w[field]).toBeCloseTo(before[i][field], 12));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('workload weights in the draw', () => {
  it('property: the same rows, clock and config give the same choice', () => {
    fc.assert(
      fc.property(specsArb, configArb, fc.uuid(), fc.integer({ min: 1, max: 4 }), (specs, config, key, rf) => {
        const weights = weightsOf(config);
        const draw = () => topN(key, candidatesFor(specs.map(prover), job, liveness, weights), rf);
        expect(draw()).toEqual(draw());
        expect(topN(key, candidatesFor(specs.map(prover).reverse(), job, liveness, weights), rf)).toEqual(draw());
      }),
      { numRuns: 200 },
    );
  });

  it('property: all workload weights 0 give exactly the weights and choice without them', () => {
    fc.assert(
      fc.property(specsArb, weightArb, weightArb, fc.uuid(), (specs, w_score, w_load, key) => {
        const rows = specs.map(prover);
        const zero = weightsOf({ w_score, w_load, w_cpu: '0', w_ram: '0', w_gpu: '0', w_latency: '0', w_io: '0' });
        // What the draw was before the workload weights existed: score and idle share only.
        const before = rows.map((p) => ({
          proverId: p.proverId,
          weight: Math.max(
            1e-6,
            Number(w_score) * (p.currentScore / 100) + Number(w_load) * (1 - Number(p.loadFactor)),
          ),
        }));
        const now0 = candidatesFor(rows, job, liveness, zero);
        expect(now0).toEqual(before);
        expect(pick(key, now0)).toEqual(pick(key, before));
      }),
      { numRuns: 300 },
    );
  });

  it('property: a prover strictly better on a weighted field, all else equal, never weighs less nor loses a key it won', () => {
    const betterArb = fc.record({
      field: fc.constantFrom<WorkloadField>(...WORKLOAD_FIELDS),
      by: fc.integer({ min: 1, max: 1000 }),
    });
    fc.assert(
      fc.property(specsArb, configArb, betterArb, fc.uuid(), (specs, config, { field, by }, key) => {
        const weights = weightsOf(config);
        const target = specs[0];
        const improved: Spec = { ...target };
        if (field === 'cpu') improved.cores += by;
        if (field === 'ram') improved.ram += by;
        if (field === 'gpu') improved.gpuMemory = target.gpuMemory + by;
        if (field === 'io') improved.iops += by;
        // Reporting a latency beats never reporting one; a lower one beats a higher one.
        if (field === 'latency') improved.latency = target.latency === null ? by : Math.max(0, target.latency - by);
        const before = candidatesFor(specs.map(prover), job, liveness, weights);
        const after = candidatesFor([improved, ...specs.slice(1)].map(prover), job, liveness, weights);
        const weightOf = (cs: typeof before, id: string) => cs.find((c) => c.proverId === id)!.weight;
        expect(weightOf(after, target.id)).toBeGreaterThanOrEqual(weightOf(before, target.id));
        // The others can only lose weight (the best value may have risen), so a key it won it keeps.
        for (const s of specs.slice(1)) expect(weightOf(after, s.id)).toBeLessThanOrEqual(weightOf(before, s.id));
        if (pick(key, before)?.proverId === target.id) expect(pick(key, after)?.proverId).toBe(target.id);
      }),
      { numRuns: 400 },
    );
  });

  it('strictly better on the weighted field with weight > 0 weighs strictly more', () => {
    const base = { latency: 100, score: 50, load: 0.5, cores: 8, ram: 32, iops: 1000 };
    const rows = [prover({ id: 'small', ...base, gpuMemory: 16 }), prover({ id: 'big', ...base, gpuMemory: 80 })];
    const weights = weightsOf({ w_score: '1', w_load: '1', w_gpu: '1' });
    const [small, big] = candidatesFor(rows, job, liveness, weights);
    expect(big.weight - small.weight).toBeCloseTo(1 - 16 / 80, 12);
  });

  it('with w_latency > 0 the lower reported latency weighs more, and an unreported one adds nothing', () => {
    const base = { score: 50, load: 0.5, cores: 8, ram: 32, gpuMemory: 0, iops: 1000 };
    const rows = [
      prover({ id: 'slow', ...base, latency: 200 }),
      prover({ id: 'fast', ...base, latency: 50 }),
      prover({ id: 'silent', ...base, latency: null }),
    ];
    const plain = candidatesFor(rows, job, liveness, weightsOf({ w_score: '1', w_load: '1' }));
    const [slow, fast, silent] = candidatesFor(
      rows,
      job,
      liveness,
      weightsOf({ w_score: '1', w_load: '1', w_latency: '2' }),
    );
    expect(fast.weight - slow.weight).toBeCloseTo(2 * (1 - 50 / 200), 12);
    expect(silent.weight).toBe(plain[2].weight);
  });
});
