export * from './database.module';
export * from './database-connection';
export * from './database-kind';
export * from './data-source-options';
export * from './unit-of-work';
export * from './embedded/embedded-postgres';
export * from './migrations-runner/run-migrations';
