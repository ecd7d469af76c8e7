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
 * Writes the app's OpenAPI document (exactly what GET /docs-json serves) to the file named by
 * the first argument, without listening on any port: the SDK's types are generated from it
 * (`npm run sdk:generate`). The app runs on a throwaway embedded database.
 */
async function writeOpenApi(target: string): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tally-openapi-'));
  const env = { TALLY_DATA_DIR: dataDir, LOG_LEVEL: 'silent', GRPC_PORT: '0' };
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(env), createHttpAdapter(), {
    ...HTTP_APP_OPTIONS,
    logger: false,
  });
  try {
    configureApp(app);
    await app.init();
    const fastify = app.getHttpAdapter().getInstance();
    await fastify.ready();
    const reply = await fastify.inject({ method: 'GET', url: '/docs-json' });
    if (reply.statusCode !== 200) throw new Error(`GET /docs-json answered ${reply.statusCode}`);
    writeFileSync(target, `${JSON.stringify(reply.json(), null, 2)}\n`);
  } finally {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const target = process.argv[2];
if (!target) {
  process.stderr.write('usage: write-openapi <file.json>\n');
  process.exit(2);
}
writeOpenApi(target).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
