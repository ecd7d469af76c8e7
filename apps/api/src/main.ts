import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { TallyEnv } from '@tally/shared';
import { AppModule } from './app.module';
import { configureApp } from './configure-app';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(), {
    bodyParser: false,
    rawBody: true,
    bufferLogs: true,
  });
  configureApp(app);
  const env = app.get(TallyEnv);
  // SIGTERM: stop accepting, let in-flight requests finish, then close the pool.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  process.once('SIGTERM', () => setTimeout(() => process.exit(1), env.SHUTDOWN_GRACE_MS).unref());
  await app.listen(env.PORT, env.HOST);
  app.getHttpServer().keepAliveTimeout = 65_000;
}

bootstrap().catch((error: unknown) => {
  // A bad environment or an unreachable database ends here, with a readable message.
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
