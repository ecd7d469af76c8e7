import 'reflect-metadata';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from '../app.module';
import { configureApp } from '../configure-app';
import { createHttpAdapter, HTTP_APP_OPTIONS } from '../http/http-adapter';

/**
 * Writes the OpenAPI document exactly as a running service serves it at /docs-json, to the
 * path given (for the type-generation check and the SDK). The app runs on a throwaway
 * embedded database whatever the environment names, publishes and schedules nothing, and
 * listens nowhere.
 */
async function main(out: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tally-openapi-'));
  const env = {
    DATABASE_URL: undefined,
    EVENTS_NATS_URL: undefined,
    TALLY_DATA_DIR: dir,
    TALLY_ADMIN_KEY: `tly_admin_${'0'.repeat(32)}`,
    LOG_LEVEL: 'silent',
    GRPC_ENABLED: 'false',
    SCHEDULER_ENABLED: 'false',
  };
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(env), createHttpAdapter(), {
    ...HTTP_APP_OPTIONS,
    logger: false,
  });
  try {
    configureApp(app);
    await app.init();
    const fastify = app.getHttpAdapter().getInstance();
    await fastify.ready();
    const answer = await fastify.inject({ method: 'GET', url: '/docs-json' });
    if (answer.statusCode !== 200) throw new Error(`/docs-json answered ${answer.statusCode}`);
    writeFileSync(out, `${JSON.stringify(answer.json(), null, 2)}\n`);
  } finally {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const out = process.argv[2];
if (!out) {
  console.error('usage: write-openapi <out.json>');
  process.exit(2);
}
main(out).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
