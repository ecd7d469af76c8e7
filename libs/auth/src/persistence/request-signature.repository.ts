import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@tally/database';

/** Signatures already accepted, for replay detection. */
@Injectable()
export class RequestSignatureRepository {
  constructor(private readonly uow: UnitOfWork) {}

  /** Records a signature; false when it was seen before (a replay). */
  async remember(signature: string, apiKeyId: string): Promise<boolean> {
    const rows: unknown[] = await this.uow.tx.query(
      `INSERT INTO request_signatures (signature, api_key_id) VALUES ($1, $2)
       ON CONFLICT (signature) DO NOTHING RETURNING signature`,
      [signature, apiKeyId],
    );
    return rows.length === 1;
  }

  async forgetOlderThan(seconds: number): Promise<void> {
    await this.uow.tx.query(`DELETE FROM request_signatures WHERE seen_at < now() - make_interval(secs => $1)`, [
      seconds,
    ]);
  }
}
