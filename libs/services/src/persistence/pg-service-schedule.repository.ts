import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@tally/database';
import {
  canonicalDecimal,
  type HardwareRequirements,
  type MeteredRefund,
  type ServiceCategory,
  type ServiceSchedule,
  type ServiceScheduleSpec,
  ServiceScheduleRepository,
  type UnitsRule,
} from '../domain';

interface Row {
  id: string;
  price_per_unit_micros: string;
  unit: string;
  size_factor: string;
  minimum_charge_micros: string;
  hardware_requirements: HardwareRequirements;
  description: string | null;
  category: ServiceCategory;
  input_schema: Record<string, unknown>;
  result_schema: Record<string, unknown>;
  example: unknown;
  units_rule: UnitsRule | null;
  fee_bps: number | null;
  base_share_bps: number;
  min_stake_micros: string | null;
  slash_dissent_bps: number;
  slash_timeout_bps: number;
  slash_cap_micros: string | null;
  metered_refund: MeteredRefund;
  slash_dispute_bps: number;
  dispute_window_seconds: number | null;
  version: string;
  created_at: Date;
  updated_at: Date;
}

// Money and factors leave the database as text, never through a float.
const COLUMNS = `id, price_per_unit_micros::text, unit, size_factor::text, minimum_charge_micros::text,
  hardware_requirements, description, category, input_schema, result_schema, example, units_rule, fee_bps, base_share_bps, version::text,
  created_at, updated_at, min_stake_micros::text, slash_dissent_bps, slash_timeout_bps, slash_cap_micros::text,
  metered_refund, slash_dispute_bps, dispute_window_seconds`;
const STORED = `id, price_per_unit_micros, unit, size_factor, minimum_charge_micros, hardware_requirements, description,
  category, input_schema, result_schema, example, units_rule, fee_bps, base_share_bps, min_stake_micros,
  slash_dissent_bps, slash_timeout_bps, slash_cap_micros, metered_refund,
  slash_dispute_bps, dispute_window_seconds`;

function toSchedule(r: Row): ServiceSchedule {
  return {
    id: r.id,
    pricePerUnitMicros: BigInt(r.price_per_unit_micros),
    unit: r.unit,
    sizeFactor: canonicalDecimal(r.size_factor),
    minimumChargeMicros: BigInt(r.minimum_charge_micros),
    hardwareRequirements: r.hardware_requirements,
    description: r.description,
    category: r.category,
    inputSchema: r.input_schema,
    resultSchema: r.result_schema,
    example: r.example,
    unitsRule: r.units_rule,
    feeBps: r.fee_bps,
    baseShareBps: r.base_share_bps,
    minStakeMicros: r.min_stake_micros === null ? null : BigInt(r.min_stake_micros),
    slashDissentBps: r.slash_dissent_bps,
    slashTimeoutBps: r.slash_timeout_bps,
    slashCapMicros: r.slash_cap_micros === null ? null : BigInt(r.slash_cap_micros),
    meteredRefund: r.metered_refund,
    slashDisputeBps: r.slash_dispute_bps,
    disputeWindowSeconds: r.dispute_window_seconds,
    version: Number(r.version),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** Schedules in Postgres, read and written inside the caller's transaction when there is one. */
@Injectable()
export class PgServiceScheduleRepository extends ServiceScheduleRepository {
  constructor(private readonly uow: UnitOfWork) {
    super();
  }

  private query(sql: string, params: unknown[] = []): Promise<Row[]> {
    return this.uow.tx.query(sql, params);
  }

  async find(id: string, version?: number): Promise<ServiceSchedule | null> {
    const [row] =
      version === undefined
        ? await this.query(`SELECT ${COLUMNS} FROM service_schedules WHERE id = $1`, [id])
        : await this.query(`SELECT ${COLUMNS} FROM service_schedule_versions WHERE id = $1 AND version = $2`, [
            id,
            version,
          ]);
    return row ? toSchedule(row) : null;
  }

  async list(category?: ServiceCategory): Promise<ServiceSchedule[]> {
    // COLLATE "C": byte order, the same on every server whatever its locale.
    const rows = await this.query(
      `SELECT ${COLUMNS} FROM service_schedules WHERE ($1::varchar IS NULL OR category = $1) ORDER BY id COLLATE "C"`,
      [category ?? null],
    );
    return rows.map(toSchedule);
  }

  async put(spec: ServiceScheduleSpec): Promise<{ schedule: ServiceSchedule; created: boolean }> {
    // The new version is written to the current row and kept, whole, beside the old ones.
    const [row] = await this.query(
      `WITH current AS (
         INSERT INTO service_schedules (${STORED})
         VALUES ($1, $2::bigint, $3, $4::numeric, $5::bigint, $6::jsonb, $7, $8, $9::jsonb, $10::jsonb, $11::jsonb, $12::jsonb, $13::integer, $14::integer, $15::bigint, $16::integer, $17::integer, $18::bigint, $19, $20::integer, $21::integer)
         ON CONFLICT (id) DO UPDATE SET
           price_per_unit_micros = EXCLUDED.price_per_unit_micros,
           unit = EXCLUDED.unit,
           size_factor = EXCLUDED.size_factor,
           minimum_charge_micros = EXCLUDED.minimum_charge_micros,
           hardware_requirements = EXCLUDED.hardware_requirements,
           description = EXCLUDED.description,
           category = EXCLUDED.category,
           input_schema = EXCLUDED.input_schema,
           result_schema = EXCLUDED.result_schema,
           example = EXCLUDED.example,
           units_rule = EXCLUDED.units_rule,
           fee_bps = EXCLUDED.fee_bps,
           base_share_bps = EXCLUDED.base_share_bps,
           min_stake_micros = EXCLUDED.min_stake_micros,
           slash_dissent_bps = EXCLUDED.slash_dissent_bps,
           slash_timeout_bps = EXCLUDED.slash_timeout_bps,
           slash_cap_micros = EXCLUDED.slash_cap_micros,
           metered_refund = EXCLUDED.metered_refund,
           slash_dispute_bps = EXCLUDED.slash_dispute_bps,
           dispute_window_seconds = EXCLUDED.dispute_window_seconds,
           version = service_schedules.version + 1,
           updated_at = now()
         RETURNING *),
       kept AS (INSERT INTO service_schedule_versions (${STORED}, version, created_at, updated_at)
                SELECT ${STORED}, version, created_at, updated_at FROM current)
       SELECT ${COLUMNS} FROM current`,
      this.params(spec),
    );
    const schedule = toSchedule(row);
    // A fresh row starts at version 1; a replacement is always at 2 or more.
    return { schedule, created: schedule.version === 1 };
  }

  async seed(specs: ServiceScheduleSpec[]): Promise<number> {
    let created = 0;
    // DO NOTHING: replicas starting together seed once, and an admin's later version is never overwritten.
    for (const spec of specs) {
      const rows = await this.query(
        `WITH current AS (
           INSERT INTO service_schedules (${STORED})
           VALUES ($1, $2::bigint, $3, $4::numeric, $5::bigint, $6::jsonb, $7, $8, $9::jsonb, $10::jsonb, $11::jsonb, $12::jsonb, $13::integer, $14::integer, $15::bigint, $16::integer, $17::integer, $18::bigint, $19, $20::integer, $21::integer)
           ON CONFLICT (id) DO NOTHING
           RETURNING *),
         kept AS (INSERT INTO service_schedule_versions (${STORED}, version, created_at, updated_at)
                  SELECT ${STORED}, version, created_at, updated_at FROM current)
         SELECT ${COLUMNS} FROM current`,
        this.params(spec),
      );
      created += rows.length;
    }
    return created;
  }

  async addUnitsRules(specs: ServiceScheduleSpec[]): Promise<number> {
    let added = 0;
    // The guard is re-read under the row lock: of replicas racing, the first adds the rule, the rest find it there.
    for (const spec of specs) {
      const rows = await this.query(
        `WITH current AS (
           UPDATE service_schedules SET units_rule = $2::jsonb, version = version + 1, updated_at = now()
           WHERE id = $1 AND units_rule IS NULL AND input_schema = $3::jsonb
           RETURNING *),
         kept AS (INSERT INTO service_schedule_versions (${STORED}, version, created_at, updated_at)
                  SELECT ${STORED}, version, created_at, updated_at FROM current)
         SELECT ${COLUMNS} FROM current`,
        [spec.id, JSON.stringify(spec.unitsRule), JSON.stringify(spec.inputSchema)],
      );
      added += rows.length;
    }
    return added;
  }

  private params(spec: ServiceScheduleSpec): unknown[] {
    return [
      spec.id,
      spec.pricePerUnitMicros.toString(),
      spec.unit,
      spec.sizeFactor,
      spec.minimumChargeMicros.toString(),
      JSON.stringify(spec.hardwareRequirements),
      spec.description,
      spec.category,
      JSON.stringify(spec.inputSchema),
      JSON.stringify(spec.resultSchema),
      spec.example === null || spec.example === undefined ? null : JSON.stringify(spec.example),
      spec.unitsRule ? JSON.stringify(spec.unitsRule) : null,
      spec.feeBps,
      spec.baseShareBps,
      spec.minStakeMicros?.toString() ?? null,
      spec.slashDissentBps,
      spec.slashTimeoutBps,
      spec.slashCapMicros?.toString() ?? null,
      spec.meteredRefund,
      spec.slashDisputeBps,
      spec.disputeWindowSeconds,
    ];
  }
}
