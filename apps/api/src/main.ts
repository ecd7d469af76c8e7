import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { loadDotEnv, validateEnv } from '@tally/shared';
import { AppModule } from './app.module';
import { configureApp } from './configure-app';
import { grpcServerCredentials } from './grpc/tls';
import { createHttpAdapter, HTTP_APP_OPTIONS } from './http/http-adapter';
import { installLastResort } from './operations/last-resort';

async function bootstrap(): Promise<void> {
  loadDotEnv();
  // Validated here first, so a wrong variable stops the process with just the message
  // naming it (the config module validates the same environment again inside Nest).
  const env = validateEnv(process.env);
  // The gRPC TLS files too (the server builds them again when it binds).
  if (env.GRPC_ENABLED) grpcServerCredentials(env);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(), createHttpAdapter(), {
    ...HTTP_APP_OPTIONS,
    bufferLogs: true,
  });
  configureApp(app);
  installLastResort(app.get(Logger));
  // SIGTERM/SIGINT: stop accepting connections, let in-flight requests finish, then run
  // the shutdown hooks (the pool and the embedded database close) and exit 0. Requests
  // still running after SHUTDOWN_GRACE_MS are cut off with exit code 1.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => setTimeout(() => process.exit(1), env.SHUTDOWN_GRACE_MS).unref());
  }
  await app.listen(env.PORT, env.HOST);
  const address = app.getHttpServer().address();
  const where = typeof address === 'string' ? address : `${address?.address}:${address?.port}`;
  app.get(Logger).log(`listening on ${where}`, 'Bootstrap');
}

bootstrap().catch((error: unknown) => {
  // A bad environment or an unreachable database ends here, with a readable message.
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
