import type { DataSource } from 'typeorm';

// Any fixed number: every replica of Tally takes the same lock while it migrates.
const MIGRATION_LOCK_ID = 7_423_610_001;

/**
 * Applies pending migrations. On a server several replicas may start at once, so they
 * serialise on an advisory lock; embedded mode has one process and one connection. The lock
 * is transaction-scoped, held by a transaction left open on a connection of its own while
 * the migrations run on others: a session lock would stay on whichever server connection a
 * transaction pooler (PgBouncer pool_mode=transaction) lent, and the unlock could run on
 * another. Ending the transaction releases it, even when the connection is lost.
 */
export async function runMigrations(dataSource: DataSource, serialise: boolean): Promise<void> {
  if (!serialise) {
    await dataSource.runMigrations({ transaction: 'each' });
    return;
  }
  const lockRunner = dataSource.createQueryRunner();
  try {
    await lockRunner.startTransaction();
    await lockRunner.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_ID]);
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    if (lockRunner.isTransactionActive) await lockRunner.rollbackTransaction().catch(() => undefined);
    await lockRunner.release();
  }
}

/** True when every known migration has been applied (used by /ready). */
export async function migrationsApplied(dataSource: DataSource): Promise<boolean> {
  return !(await dataSource.showMigrations());
}
