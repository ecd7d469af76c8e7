import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import { ClsModule } from 'nestjs-cls';
import { CqrsModule } from '@nestjs/cqrs';
import { ClsPluginTransactional } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { DataSource } from 'typeorm';
import { DatabaseConnection } from './database-connection';
import { usePreparedStatements } from './prepared';
import { refuseTransactionPooling } from './pool-mode';
import { dataSourceOptions } from './data-source-options';
import { runMigrations } from './migrations-runner/run-migrations';
import { UnitOfWork } from './unit-of-work';
import { OutboxCursors } from './outbox/outbox-cursors';
import { OutboxRelay } from './outbox/outbox-relay';
import { ProcessedEvents } from './outbox/processed-events';
import { OutboxWriter } from './outbox/outbox-writer';
import { BrokerRelay } from './broker/broker-relay';
import { BrokerConsumers } from './broker/broker-consumers';
import { CommittedEvents } from './outbox/committed-events';

/**
 * ClsModule registers a global guard and interceptor even when neither is mounted (then
 * they do nothing). A global interceptor, even a no-op, puts every request through Nest's
 * RxJS interceptor chain; this app mounts no CLS per request, so both are left out.
 */
function withoutRequestEnhancers(cls: DynamicModule): DynamicModule {
  const strip = (module: DynamicModule): DynamicModule => ({
    ...module,
    providers: module.providers?.filter(
      (p) => !(typeof p === 'object' && 'provide' in p && (p.provide === APP_GUARD || p.provide === APP_INTERCEPTOR)),
    ),
    imports: module.imports?.map((m) => (m && typeof m === 'object' && 'module' in m ? strip(m as DynamicModule) : m)),
  });
  return strip(cls);
}

@Global()
@Module({
  providers: [DatabaseConnection],
  exports: [DatabaseConnection],
})
class DatabaseConnectionModule {}

/**
 * TypeORM on Postgres (or embedded PGlite), migrations applied at start, and
 * transactions through @nestjs-cls/transactional so writes in several libs commit together.
 */
@Global()
@Module({})
export class DatabaseModule {
  /** `connectAttempts`: tries at the first connection (3 s apart; default DATABASE_CONNECT_ATTEMPTS, for a server starting up). */
  static forRoot(options: { connectAttempts?: number } = {}): DynamicModule {
    let embedded = false;
    let connection: DatabaseConnection | undefined;
    let attempts = 1;
    return {
      module: DatabaseModule,
      imports: [
        // One set of command, query and event buses for the whole app (global): libs use it, never import their own.
        CqrsModule.forRoot(),
        DatabaseConnectionModule,
        TypeOrmModule.forRootAsync({
          inject: [DatabaseConnection],
          useFactory: async (opened: DatabaseConnection) => {
            connection = opened;
            attempts = options.connectAttempts ?? connection.env.DATABASE_CONNECT_ATTEMPTS;
            await connection.open();
            embedded = connection.kind === 'embedded';
            return {
              ...dataSourceOptions(connection.url, connection.poolSize),
              autoLoadEntities: true,
              // Retried by DatabaseConnection.connect, one readable line per attempt.
              toRetry: () => false,
            };
          },
          dataSourceFactory: async (options) => {
            const dataSource = await connection!.connect(() => new DataSource(options!).initialize(), attempts, 3000);
            // Named statements live on one server connection: not on PGlite (see prepared.ts), nor
            // behind a transaction pooler, which hands each transaction any server connection.
            const named = !embedded && connection!.env.DATABASE_POOL_MODE === 'session';
            usePreparedStatements(dataSource, named);
            // A transaction pooler left configured as session mode: one clear message, not random failures.
            if (named && options!.poolSize !== 1) {
              await refuseTransactionPooling(dataSource).catch(async (error: unknown) => {
                await dataSource.destroy();
                throw error;
              });
            }
            // The advisory lock needs a connection of its own, so a pool of one (embedded) skips it.
            await runMigrations(
              dataSource,
              options!.poolSize !== 1,
              connection!.env.DATABASE_POOL_MODE === 'transaction',
            );
            return dataSource;
          },
        }),
        // No per-request context (nothing reads one): a unit of work opens its own (UnitOfWork).
        withoutRequestEnhancers(
          ClsModule.forRoot({
            global: true,
            plugins: [
              new ClsPluginTransactional({
                imports: [TypeOrmModule],
                adapter: new TransactionalAdapterTypeOrm({ dataSourceToken: getDataSourceToken() }),
              }),
            ],
          }),
        ),
      ],
      providers: [
        UnitOfWork,
        CommittedEvents,
        OutboxRelay,
        ProcessedEvents,
        OutboxWriter,
        BrokerRelay,
        BrokerConsumers,
        OutboxCursors,
      ],
      exports: [
        UnitOfWork,
        CommittedEvents,
        ProcessedEvents,
        OutboxWriter,
        BrokerRelay,
        BrokerConsumers,
        OutboxCursors,
      ],
    };
  }
}
