import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@tally/database';

/** A scorecard as a receipt records it: its version and stored score (decimal strings). */
export interface ScorecardRef {
  version: string;
  score: string;
}

/** Provers' scorecards now, for the libs that record them (receipts). */
@Injectable()
export class ScorecardsQuery {
  constructor(private readonly uow: UnitOfWork) {}

  /** The scorecards of these provers, read in the current transaction; unknown ids are left out. */
  async of(proverIds: string[]): Promise<Map<string, ScorecardRef>> {
    const rows = await this.uow.prepared<{ prover_id: string; version: string; score: string }>(
      `SELECT prover_id, version::text AS version, score_value::text AS score FROM provers WHERE prover_id = ANY($1)`,
      [proverIds],
    );
    return new Map(rows.map((r) => [r.prover_id, { version: r.version, score: r.score }]));
  }
}
