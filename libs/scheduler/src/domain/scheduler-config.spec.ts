import { DomainError, ErrorCode } from '@tally/shared';
import { parseSchedulerConfig } from './scheduler-config';

const NO_WORKLOAD = { w_cpu: '0', w_ram: '0', w_gpu: '0', w_latency: '0', w_io: '0' };

function rejects(input: unknown, field?: string): void {
  try {
    parseSchedulerConfig(input);
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe(ErrorCode.InvalidRequest);
    if (field) expect((error as DomainError).details).toMatchObject({ field });
    return;
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
}

describe('parseSchedulerConfig', () => {
  it('accepts decimal-string weights ≥ 0 and keeps them canonical', () => {
    expect(parseSchedulerConfig({ w_score: '1', w_load: '1' })).toEqual({ w_score: '1', w_load: '1', ...NO_WORKLOAD });
    expect(parseSchedulerConfig({ w_score: '0.500000', w_load: '0', tick_interval_ms: 100 })).toEqual({
      w_score: '0.5',
      w_load: '0',
      ...NO_WORKLOAD,
      tick_interval_ms: 100,
    });
    expect(parseSchedulerConfig({ w_score: '999999.999999', w_load: '2.10', tick_interval_ms: null })).toEqual({
      w_score: '999999.999999',
      w_load: '2.1',
      ...NO_WORKLOAD,
    });
  });

  it('reads the workload weights like the others, 0 when left out', () => {
    expect(
      parseSchedulerConfig({ w_score: '0', w_load: '0', w_gpu: '2.50', w_latency: '0.000001', w_io: '999999' }),
    ).toEqual({ w_score: '0', w_load: '0', ...NO_WORKLOAD, w_gpu: '2.5', w_latency: '0.000001', w_io: '999999' });
  });

  it.each([
    [{ w_score: '0', w_load: '0.000' }, 'w_score'],
    [{ w_score: '-1', w_load: '1' }, 'w_score'],
    [{ w_score: 1, w_load: '1' }, 'w_score'],
    [{ w_score: '1' }, 'w_load'],
    [{ w_score: '1', w_load: '1.0000001' }, 'w_load'],
    [{ w_score: '1', w_load: '1e3' }, 'w_load'],
    [{ w_score: '01', w_load: '1' }, 'w_score'],
    [{ w_score: '1000000', w_load: '1' }, 'w_score'],
    [{ w_score: '0', w_load: '0', ...NO_WORKLOAD }, 'w_score'],
    [{ w_score: '1', w_load: '1', w_cpu: '-1' }, 'w_cpu'],
    [{ w_score: '1', w_load: '1', w_ram: 1 }, 'w_ram'],
    [{ w_score: '1', w_load: '1', w_gpu: '1000000' }, 'w_gpu'],
    [{ w_score: '1', w_load: '1', w_latency: null }, 'w_latency'],
    [{ w_score: '1', w_load: '1', w_io: '0.1234567' }, 'w_io'],
    [{ w_score: '1', w_load: '1', tick_interval_ms: 5 }, 'tick_interval_ms'],
    [{ w_score: '1', w_load: '1', tick_interval_ms: 60_001 }, 'tick_interval_ms'],
    [{ w_score: '1', w_load: '1', tick_interval_ms: 12.5 }, 'tick_interval_ms'],
    [{ w_score: '1', w_load: '1', tick_interval_ms: '100' }, 'tick_interval_ms'],
  ])('rejects %j (DSE-001 naming %s)', (input, field) => rejects(input, field));

  it('rejects what is not an object', () => {
    rejects(null);
    rejects([]);
    rejects('w_score=1');
  });
});
