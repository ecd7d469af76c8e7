import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@tally/database';
import {
  canonicalDecimal,
  type HardwareRequirements,
  type ServiceSchedule,
  type ServiceScheduleSpec,
  ServiceScheduleRepository,
} from '../domain';

interface Row {
  id: string;
  price_per_unit_micros: string;
  unit: string;
  size_factor: string;
  minimum_charge_micros: string;
  hardware_requirements: HardwareRequirements;
  description: string | null;
  version: string;
  created_at: Date;
  updated_at: Date;
}

// Money and factors leave the database as text, never through a float.
const COLUMNS = `id, price_per_unit_micros::text, unit, size_factor::text, minimum_charge_micros::text,
  hardware_requirements, description, version::text, created_at, updated_at`;

function toSchedule(r: Row): ServiceSchedule {
  return {
    id: r.id,
    pricePerUnitMicros: BigInt(r.price_per_unit_micros),
    unit: r.unit,
    sizeFactor: canonicalDecimal(r.size_factor),
    minimumChargeMicros: BigInt(r.minimum_charge_micros),
    hardwareRequirements: r.hardware_requirements,
    description: r.description,
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

  async find(id: string): Promise<ServiceSchedule | null> {
    const [row] = await this.query(`SELECT ${COLUMNS} FROM service_schedules WHERE id = $1`, [id]);
    return row ? toSchedule(row) : null;
  }

  async list(): Promise<ServiceSchedule[]> {
    // COLLATE "C": byte order, the same on every server whatever its locale.
    const rows = await this.query(`SELECT ${COLUMNS} FROM service_schedules ORDER BY id COLLATE "C"`);
    return rows.map(toSchedule);
  }

  async put(spec: ServiceScheduleSpec): Promise<{ schedule: ServiceSchedule; created: boolean }> {
    const [row] = await this.query(
      `INSERT INTO service_schedules
         (id, price_per_unit_micros, unit, size_factor, minimum_charge_micros, hardware_requirements, description)
       VALUES ($1, $2::bigint, $3, $4::numeric, $5::bigint, $6::jsonb, $7)
       ON CONFLICT (id) DO UPDATE SET
         price_per_unit_micros = EXCLUDED.price_per_unit_micros,
         unit = EXCLUDED.unit,
         size_factor = EXCLUDED.size_factor,
         minimum_charge_micros = EXCLUDED.minimum_charge_micros,
         hardware_requirements = EXCLUDED.hardware_requirements,
         description = EXCLUDED.description,
         version = service_schedules.version + 1,
         updated_at = now()
       RETURNING ${COLUMNS}`,
      [
        spec.id,
        spec.pricePerUnitMicros.toString(),
        spec.unit,
        spec.sizeFactor,
        spec.minimumChargeMicros.toString(),
        JSON.stringify(spec.hardwareRequirements),
        spec.description,
      ],
    );
    const schedule = toSchedule(row);
    // A fresh row starts at version 1; a replacement is always at 2 or more.
    return { schedule, created: schedule.version === 1 };
  }
}
