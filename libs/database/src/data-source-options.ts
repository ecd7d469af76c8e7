import { Logger } from '@nestjs/common';
import type { EventEmitter } from 'node:events';
import type { DataSourceOptions } from 'typeorm';
import { ALL_MIGRATIONS } from '../../../migrations';

const logger = new Logger('Database');

/**
 * Every pooled connection gets an `error` listener for its whole life. The pool listens
 * only while a connection is idle; one that a query or a transaction holds when the server
 * goes away (a restart, an admin shutdown) emits `error` besides failing its query, and an
 * EventEmitter error nobody listens to ends the process. The query's caller sees the
 * failure; the pool drops the connection when it is released.
 */
function listenForErrors(client: EventEmitter): void {
  client.on('error', (error: Error & { code?: string }) =>
    logger.warn({ err: error.message, code: error.code }, 'a database connection was lost'),
  );
}

/**
 * How long a query waits for a pooled connection before it fails (a 503). A pool of one (the
 * embedded database) queues every request behind all the others: a burst of them waits its
 * whole length there, which is busy, not away, so it gets longer.
 */
function acquireTimeoutMs(poolSize: number): number {
  return poolSize === 1 ? 30_000 : 10_000;
}

/** The one TypeORM configuration, shared by the app, the CLI and the tests. */
export function dataSourceOptions(
  url: string,
  poolSize: number,
  entities: DataSourceOptions['entities'] = [],
): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities,
    migrations: ALL_MIGRATIONS,
    migrationsTableName: 'typeorm_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    // Failed queries surface as errors where they happen (logged with the request id), not twice.
    logging: false,
    poolSize,
    extra: { max: poolSize, connectionTimeoutMillis: acquireTimeoutMs(poolSize), onConnect: listenForErrors },
  };
}
