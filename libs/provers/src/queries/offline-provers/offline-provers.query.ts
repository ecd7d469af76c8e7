import { Injectable } from '@nestjs/common';
import { sqlLiteral, UnitOfWork } from '@tally/database';
import { OFFLINE_STATE } from '../../domain';

const OFFLINE = `state = ${sqlLiteral(OFFLINE_STATE)}`;

/**
 * The provers marked offline (by the timeout sweep: MarkSilentOfflineCommand), for the
 * scheduler's requeue of their jobs. Only the stored state counts, not a heartbeat age.
 */
@Injectable()
export class OfflineProversQuery {
  constructor(private readonly uow: UnitOfWork) {}

  async ids(): Promise<string[]> {
    const rows: { prover_id: string }[] = await this.uow.tx.query(`SELECT prover_id FROM provers WHERE ${OFFLINE}`);
    return rows.map((r) => r.prover_id);
  }

  async includes(proverId: string): Promise<boolean> {
    const rows: unknown[] = await this.uow.tx.query(`SELECT 1 FROM provers WHERE prover_id = $1 AND ${OFFLINE}`, [
      proverId,
    ]);
    return rows.length > 0;
  }
}
