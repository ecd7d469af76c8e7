import type { DataSource } from 'typeorm';

// Any fixed number: every replica of Tally takes the same lock while it migrates.
const MIGRATION_LOCK_ID = 7_423_610_001;

/**
 * Applies pending migrations. On a server several replicas may start at once, so they
 * serialise on an advisory lock; embedded mode has one process and one connection. Behind a
 * transaction pooler (`transactionPooling`) a session lock would stay on whichever server
 * connection the pooler lent, and the unlock could run on another: there the lock is
 * transaction-scoped, held by a transaction left open on a connection of its own while the
 * migrations run on others. Elsewhere it is a session lock, as a server that runs one
 * transaction at a time (PGlite behind a socket) would make that open transaction wait out
 * the migrations forever.
 */
export async function runMigrations(
  dataSource: DataSource,
  serialise: boolean,
  transactionPooling = false,
): Promise<void> {
  if (!serialise) {
    await dataSource.runMigrations({ transaction: 'each' });
    return;
  }
  const lockRunner = dataSource.createQueryRunner();
  try {
    if (transactionPooling) {
      await lockRunner.startTransaction();
      await lockRunner.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_ID]);
    } else {
      await lockRunner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    }
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    // Ending the transaction releases the transaction-scoped lock, even on a lost connection.
    if (lockRunner.isTransactionActive) await lockRunner.rollbackTransaction().catch(() => undefined);
    else await lockRunner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => undefined);
    await lockRunner.release();
  }
}

/** True when every known migration has been applied (used by /ready). */
export async function migrationsApplied(dataSource: DataSource): Promise<boolean> {
  return !(await dataSource.showMigrations());
}
