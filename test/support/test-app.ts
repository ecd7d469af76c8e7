import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AppModule } from '../../apps/api/src/app.module';
import { configureApp } from '../../apps/api/src/configure-app';
import { createHttpAdapter, HTTP_APP_OPTIONS } from '../../apps/api/src/http/http-adapter';
import { createTestDatabase, TestDatabase } from './test-database';

export interface TestApp {
  app: INestApplication;
  /** supertest against the app's HTTP server. */
  http: () => ReturnType<typeof request>;
  adminKey: string;
  dataSource: DataSource;
  /** The environment the app was started with (to restart it on the same database). */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** Starts the real app, configured exactly as main.ts does, on a database of its own. */
export async function startTestApp(env: Record<string, string> = {}, database?: TestDatabase): Promise<TestApp> {
  const db = database ?? (await createTestDatabase());
  const fullEnv: Record<string, string> = {
    TALLY_ADMIN_KEY: `tly_admin_${randomBytes(16).toString('hex')}`,
    LOG_LEVEL: 'silent',
    // Any free port: test files run side by side (GrpcServer.port says which).
    GRPC_PORT: '0',
    // A server database requires a receipt signing key: one per database, so apps sharing it share the key.
    RECEIPT_SIGNING_KEY_HEX: createHash('sha256').update(JSON.stringify(db.env)).digest('hex'),
    ...db.env,
    ...env,
  };
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(fullEnv), createHttpAdapter(), {
    ...HTTP_APP_OPTIONS,
    logger: false,
  });
  configureApp(app);
  await app.init();
  // Fastify serves only once its plugins have loaded.
  await app.getHttpAdapter().getInstance().ready();
  const server = app.getHttpServer();
  return {
    app,
    http: () => request(server),
    adminKey: fullEnv.TALLY_ADMIN_KEY,
    dataSource: app.get(DataSource),
    env: fullEnv,
    close: async () => {
      await app.close();
      if (!database) await db.drop();
    },
  };
}

/**
 * Sends `body` as written (not re-serialised by supertest), as JSON with a fresh
 * Idempotency-Key: for bodies JSON.stringify cannot produce (big numbers, odd literals).
 */
export function sendRawJson(
  t: TestApp,
  method: 'post' | 'put',
  path: string,
  key: Record<string, string>,
  body: string,
) {
  return t
    .http()
    [method](path)
    .set(key)
    .set('Idempotency-Key', randomUUID())
    .set('Content-Type', 'application/json')
    .send(body);
}
