import type { DataSourceOptions } from 'typeorm';
import { ALL_MIGRATIONS } from '../../../migrations';

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
    extra: { max: poolSize, connectionTimeoutMillis: 10_000 },
  };
}
