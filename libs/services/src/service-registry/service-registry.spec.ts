import { DomainError, ErrorCode, NotFoundError } from '@tally/shared';
import { type ServiceSchedule, type ServiceScheduleSpec, ServiceScheduleRepository } from '../domain';
import { ServiceRegistry } from './service-registry';

class InMemorySchedules extends ServiceScheduleRepository {
  readonly rows = new Map<string, ServiceSchedule>();

  async find(id: string) {
    return this.rows.get(id) ?? null;
  }

  async list() {
    return [...this.rows.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  async put(spec: ServiceScheduleSpec) {
    const old = this.rows.get(spec.id);
    const now = new Date();
    const schedule = {
      ...spec,
      version: (old?.version ?? 0) + 1,
      createdAt: old?.createdAt ?? now,
      updatedAt: now,
    };
    this.rows.set(spec.id, schedule);
    return { schedule, created: !old };
  }

  async addUnitsRules(): Promise<number> {
    return 0;
  }

  async seed(specs: ServiceScheduleSpec[]) {
    const fresh = specs.filter((s) => !this.rows.has(s.id));
    for (const spec of fresh) await this.put(spec);
    return fresh.length;
  }
}

describe('ServiceRegistry', () => {
  const schedules = new InMemorySchedules();
  const registry = new ServiceRegistry(schedules);
  beforeAll(() =>
    schedules.put({
      id: 'prove',
      pricePerUnitMicros: 250_000n,
      unit: 'gpu_second',
      sizeFactor: '1.5',
      minimumChargeMicros: 1_000_000n,
      hardwareRequirements: {},
      description: null,
      category: 'ai-ml',
      inputSchema: { type: 'object' },
      resultSchema: { type: 'object' },
      example: null,
      unitsRule: null,
      feeBps: null,
      baseShareBps: 0,
      minStakeMicros: null,
      slashDissentBps: 0,
      slashTimeoutBps: 0,
      slashCapMicros: null,
      meteredRefund: 'earned',
      slashDisputeBps: 0,
      disputeWindowSeconds: null,
    }),
  );

  it('estimates against the stored schedule', async () => {
    await expect(registry.estimate('prove', '10', 2)).resolves.toBe(7_500_000n);
    await expect(registry.estimate('prove', '1', 3)).resolves.toBe(3_000_000n); // the minimum, per replica
  });

  it('finds a schedule, or null', async () => {
    await expect(registry.find('prove')).resolves.toMatchObject({ id: 'prove', version: 1 });
    await expect(registry.find('nope')).resolves.toBeNull();
  });

  it('throws NotFoundError (DSE-015) for an unknown service', async () => {
    for (const attempt of [registry.get('nope'), registry.estimate('nope', '1', 1)]) {
      const error = await attempt.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NotFoundError);
      expect((error as DomainError).code).toBe(ErrorCode.NotFound);
    }
  });
});
