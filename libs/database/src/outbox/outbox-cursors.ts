import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '../unit-of-work';

/**
 * Durable positions of the readers that follow the outbox in id order (`outbox_cursors`):
 * a follower moves its cursor in the transaction that records what it did with the rows,
 * so each row is handled exactly once, and the outbox keeps every row above the lowest
 * cursor (OutboxRelay's cleanup), so a follower that lags loses nothing.
 */
@Injectable()
export class OutboxCursors {
  constructor(private readonly uow: UnitOfWork) {}

  /** Creates the cursor at the outbox's present end if it does not exist (a new follower starts now). */
  async ensure(name: string): Promise<void> {
    await this.uow.prepared(
      `INSERT INTO outbox_cursors (name, position) SELECT $1, COALESCE(max(id), 0) FROM outbox
       ON CONFLICT (name) DO NOTHING`,
      [name],
    );
  }

  /**
   * Locks the cursor for the current transaction and answers its position; undefined when
   * another transaction holds it (another replica is following: this one skips its turn).
   */
  async lock(name: string): Promise<bigint | undefined> {
    const [row] = await this.uow.prepared<{ position: string }>(
      `SELECT position::text FROM outbox_cursors WHERE name = $1 FOR UPDATE SKIP LOCKED`,
      [name],
    );
    return row ? BigInt(row.position) : undefined;
  }

  /** Moves a cursor locked by `lock` (in the same transaction). */
  async move(name: string, position: bigint): Promise<void> {
    await this.uow.prepared(`UPDATE outbox_cursors SET position = $2::bigint WHERE name = $1`, [
      name,
      position.toString(),
    ]);
  }
}
