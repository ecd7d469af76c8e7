// First: tracing, when configured, must be set up before anything loads http, pg or pino.
import './tracing';
import 'reflect-metadata';
import cluster from 'node:cluster';
import { NestFactory } from '@nestjs/core';
import { QueryBus } from '@nestjs/cqrs';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { PinoLogger } from 'nestjs-pino';
import { ListApiKeysQuery } from '@tally/auth';
import { DatabaseConnection } from '@tally/database';
import { ConfigurationError, packageVersion, TallyEnv, validateEnv } from '@tally/shared';
import { AppModule } from './app.module';
import { configureApp } from './configure-app';
import { grpcServerCredentials } from './grpc/tls';
import { createHttpAdapter, HTTP_APP_OPTIONS } from './http/http-adapter';
import { loggerParams } from './logging/logger-params';
import { TallyLogger } from './logging/tally-logger';
import { installLastResort } from './operations/last-resort';
import { runWorkers } from './operations/workers/web-workers';

async function bootstrap(): Promise<void> {
  // `.env` has been read already (./tracing, imported first, needs the OTEL_* variables in it).
  // Validated here first, so a wrong variable stops the process with just the message
  // naming it (the config module validates the same environment again inside Nest).
  const env = validateEnv(process.env);
  // The gRPC TLS files too (the server builds them again when it binds).
  if (env.GRPC_ENABLED) grpcServerCredentials(env);
  const params = loggerParams(env);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(), createHttpAdapter(), {
    ...HTTP_APP_OPTIONS,
    // Start-up logs through the app's own logger from the first line (no buffer to flush
    // with a stack trace if start-up fails: bootstrap's catch prints the reason).
    logger: new TallyLogger(new PinoLogger(params), params),
    abortOnError: false,
  });
  configureApp(app);
  const logger = app.get(TallyLogger);
  installLastResort(logger);
  // SIGTERM/SIGINT: stop accepting connections, let in-flight requests finish, then run
  // the shutdown hooks (the pool and the embedded database close) and exit 0. Requests
  // still running after SHUTDOWN_GRACE_MS are cut off with exit code 1.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => setTimeout(() => process.exit(1), env.SHUTDOWN_GRACE_MS).unref());
  }
  await app.listen(env.PORT, env.HOST);
  for (const fact of await startFacts(app, env)) logger.log(fact, 'Bootstrap');
}

/** What a person starting the service needs to know, one line each. */
async function startFacts(app: NestFastifyApplication, env: TallyEnv): Promise<string[]> {
  const address = app.getHttpServer().address();
  const port = typeof address === 'string' ? undefined : address?.port;
  const where = typeof address === 'string' ? address : `http://${address?.address}:${port}`;
  // A wildcard bind is reached on localhost from this machine.
  const local =
    typeof address === 'string'
      ? where
      : `http://${/^(0\.0\.0\.0|::)$/.test(env.HOST) ? 'localhost' : env.HOST}:${port}`;
  const database = app.get(DatabaseConnection);
  const admins = await app.get(QueryBus).execute(new ListApiKeysQuery({ role: 'admin', revoked: false, limit: 1 }));
  return [
    `Tally ${packageVersion()}`,
    `listening on ${where}`,
    `database: ${database.description}`,
    `API docs: ${local}/docs`,
    admins.length > 0 ? 'admin key: present' : noAdminKeyHint(database.kind),
  ];
}

/** How to get a first admin key (the embedded database takes one process: the CLI runs with the service stopped). */
function noAdminKeyHint(kind: DatabaseConnection['kind']): string {
  const cli = 'npm run cli -- keys create --role admin --subject ops';
  return kind === 'embedded'
    ? `no admin key yet: restart with TALLY_ADMIN_KEY=<a long random secret>, or stop the service and run \`${cli}\``
    : `no admin key yet: run \`${cli}\`, or restart with TALLY_ADMIN_KEY=<a long random secret>`;
}

/** WEB_CONCURRENCY; a wrong environment is one process, whose bootstrap reports it. */
function workerCount(): { count: number; graceMs: number } {
  try {
    const env = validateEnv(process.env);
    return { count: env.WEB_CONCURRENCY, graceMs: env.SHUTDOWN_GRACE_MS };
  } catch {
    return { count: 1, graceMs: 0 };
  }
}

const workers = cluster.isPrimary ? workerCount() : { count: 1, graceMs: 0 };
if (workers.count > 1) runWorkers(workers.count, workers.graceMs);
else start();

function start(): void {
  bootstrap().catch((error: unknown) => {
    // A bad setting or an unreachable database ends here: its message, which says how to fix
    // it, and no stack trace. Anything else is a bug: its stack too.
    if (error instanceof ConfigurationError) console.error(error.message);
    else console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  });
}
