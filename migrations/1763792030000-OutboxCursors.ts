import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Durable positions of the readers that follow the outbox in id order (OutboxCursors): the
 * webhook follower's starts at the outbox's present end. The outbox's cleanup keeps every
 * row above the lowest position.
 */
export class OutboxCursors1763792030000 implements MigrationInterface {
  name = 'OutboxCursors1763792030000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE outbox_cursors (
        name varchar(64) PRIMARY KEY,
        position bigint NOT NULL CHECK (position >= 0)
      )`);
    await q.query(`INSERT INTO outbox_cursors (name, position) SELECT 'webhooks', COALESCE(max(id), 0) FROM outbox`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE outbox_cursors`);
  }
}
