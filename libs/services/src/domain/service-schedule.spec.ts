import { DomainError, ErrorCode } from '@tally/shared';
import { canonicalDecimal, parseCreditsOrZero, parsePositiveDecimal } from './decimals';
import { parseServiceId, serviceScheduleSpec, type ServiceScheduleInput } from './service-schedule';

const input = (over: Partial<ServiceScheduleInput> = {}): ServiceScheduleInput => ({
  price_per_unit: '0.25',
  unit: 'gpu_second',
  size_factor: '1.50',
  minimum_charge: '0',
  hardware_requirements: { gpu_count: 1 },
  ...over,
});

function dse001Field(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError && e.code === ErrorCode.InvalidRequest) return e.details?.field;
    throw e;
  }
  return undefined;
}

describe('service schedules', () => {
  it('parses API input into micros and a canonical factor', () => {
    expect(serviceScheduleSpec('zk-prove.v1', input({ description: null }))).toEqual({
      id: 'zk-prove.v1',
      pricePerUnitMicros: 250_000n,
      unit: 'gpu_second',
      sizeFactor: '1.5',
      minimumChargeMicros: 0n,
      hardwareRequirements: { gpu_count: 1 },
      description: null,
      // Written without them: the default category and schemas that accept any object.
      category: 'development-tools',
      inputSchema: { type: 'object' },
      resultSchema: { type: 'object' },
      example: null,
      unitsRule: null, // no typed endpoint
      feeBps: null, // the platform default
      baseShareBps: 0, // the majority shares the whole pool
      minStakeMicros: null, // no minimum stake
      slashDissentBps: 0, // no slashing
      slashTimeoutBps: 0,
      slashCapMicros: null,
      meteredRefund: 'earned', // metered usage already reported stays paid
      slashDisputeBps: 0, // a dispute lost slashes nothing
      disputeWindowSeconds: null, // the platform default window
    });
    expect(serviceScheduleSpec('s', input({ minimum_charge: '0.000001' })).minimumChargeMicros).toBe(1n);
  });

  it('takes a fee override and a base share in basis points, null fee meaning the platform default', () => {
    expect(serviceScheduleSpec('s', input({ fee_bps: 0, base_share_bps: 10_000 }))).toMatchObject({
      feeBps: 0,
      baseShareBps: 10_000,
    });
    expect(serviceScheduleSpec('s', input({ fee_bps: null }))).toMatchObject({ feeBps: null, baseShareBps: 0 });
  });

  it('keeps only known hardware keys, in one order', () => {
    const spec = serviceScheduleSpec(
      's',
      input({ hardware_requirements: { zk_acceleration: ['groth16'], ram_gb: 1.5, gpu_count: 0 } }),
    );
    expect(Object.keys(spec.hardwareRequirements)).toEqual(['gpu_count', 'ram_gb', 'zk_acceleration']);
  });

  it('names the field of every bad value', () => {
    expect(dse001Field(() => serviceScheduleSpec('s', input({ price_per_unit: '0' })))).toBe('price_per_unit');
    expect(dse001Field(() => serviceScheduleSpec('s', input({ price_per_unit: '9223372036854.775808' })))).toBe(
      'price_per_unit',
    );
    expect(dse001Field(() => serviceScheduleSpec('s', input({ size_factor: '0.0' })))).toBe('size_factor');
    expect(dse001Field(() => serviceScheduleSpec('s', input({ size_factor: '1.0000001' })))).toBe('size_factor');
    expect(dse001Field(() => serviceScheduleSpec('s', input({ minimum_charge: '-1' })))).toBe('minimum_charge');
    expect(dse001Field(() => serviceScheduleSpec('s', input({ unit: 'GPU' })))).toBe('unit');
    expect(dse001Field(() => serviceScheduleSpec('Bad', input()))).toBe('id');
    for (const bad of [-1, 10_001, 1.5, '500' as unknown as number]) {
      expect(dse001Field(() => serviceScheduleSpec('s', input({ fee_bps: bad })))).toBe('fee_bps');
      expect(dse001Field(() => serviceScheduleSpec('s', input({ base_share_bps: bad })))).toBe('base_share_bps');
    }
    for (const bad of ['some', 'ALL', '', null, 1]) {
      const metered = input({ metered_refund: bad as never });
      expect(dse001Field(() => serviceScheduleSpec('s', metered))).toBe('metered_refund');
    }
    expect(serviceScheduleSpec('s', input({ metered_refund: 'all' })).meteredRefund).toBe('all');
    for (const bad of [-1, 1.5, 7_776_001, '60']) {
      const window = input({ dispute_window_seconds: bad as never });
      expect(dse001Field(() => serviceScheduleSpec('s', window))).toBe('dispute_window_seconds');
    }
    expect(serviceScheduleSpec('s', input({ dispute_window_seconds: 0 })).disputeWindowSeconds).toBe(0);
    expect(serviceScheduleSpec('s', input({ dispute_window_seconds: 86_400 })).disputeWindowSeconds).toBe(86_400);
    expect(dse001Field(() => serviceScheduleSpec('s', input({ slash_dispute_bps: 10_001 })))).toBe('slash_dispute_bps');
  });

  it('checks hardware requirements as sent, by the rules of a job requirements, naming the field', () => {
    const hardware = (h: unknown) => () =>
      serviceScheduleSpec('s', input({ hardware_requirements: h as ServiceScheduleInput['hardware_requirements'] }));
    for (const [h, field] of [
      [[], 'hardware_requirements'],
      [{ zk_acceleration: ['msm'] }, 'hardware_requirements.zk_acceleration'], // a kernel, not a proof system
      [{ zk_acceleration: 'groth16' }, 'hardware_requirements.zk_acceleration'], // stored as a list
      [{ gpu_count: 65 }, 'hardware_requirements.gpu_count'], // a prover has at most 64
      [{ gpu_count: null }, 'hardware_requirements.gpu_count'],
      [{ cpu_cores: 1.5 }, 'hardware_requirements.cpu_cores'],
      [{ supported_kernels: ['a b'] }, 'hardware_requirements.supported_kernels'],
      [{ region: 'eu' }, 'hardware_requirements.region'], // a job may ask for it, a service not
      [JSON.parse('{"toString": 1}'), 'hardware_requirements.toString'],
      [JSON.parse('{"constructor": 1}'), 'hardware_requirements.constructor'],
    ] as const) {
      expect(dse001Field(hardware(h))).toBe(field);
    }
    const all = {
      gpu_count: 64,
      gpu_memory_gb: 80.5,
      ram_gb: 0,
      cpu_cores: 4096,
      supported_kernels: ['cuda-12', 'msm'],
      zk_acceleration: ['groth16', 'plonk', 'stark'],
    };
    expect(serviceScheduleSpec('s', input({ hardware_requirements: all })).hardwareRequirements).toEqual(all);
  });

  it('accepts ids of 1-64 of a-z 0-9 . _ -, except the path segments "." and ".."', () => {
    for (const ok of ['a', 'zk-prove_v1.2', 'x'.repeat(64), '...']) expect(parseServiceId(ok)).toBe(ok);
    for (const bad of ['', 'x'.repeat(65), 'A', 'a/b', 'a b', '.', '..', 'é']) {
      expect(dse001Field(() => parseServiceId(bad))).toBe('id');
    }
  });

  it('canonicalises decimals without changing their value', () => {
    expect(canonicalDecimal('1.500000')).toBe('1.5');
    expect(canonicalDecimal('2.000000')).toBe('2');
    expect(canonicalDecimal('100')).toBe('100');
    expect(canonicalDecimal('0.000001')).toBe('0.000001');
    expect(parsePositiveDecimal('10.10', 'f')).toBe('10.1');
    expect(parseCreditsOrZero('0.000000', 'm')).toBe(0n);
  });
});
