import type { IncomingMessage } from 'node:http';
import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { TallyEnv } from '@tally/shared';
import { requestIdOf } from '../http/http-adapter';

/** JSON logs (pino) with the request id on every line of a request. */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [TallyEnv],
      useFactory: (env: TallyEnv) => ({
        pinoHttp: {
          level: env.LOG_LEVEL,
          // The id Fastify gave the request (configure-app puts it in the header first).
          genReqId: requestIdOf,
          autoLogging: { ignore: (req: IncomingMessage) => req.url === '/health' || req.url === '/metrics' },
          redact: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers["x-signature"]'],
          serializers: {
            req: (req: { id: string; method: string; url: string }) => ({
              id: req.id,
              method: req.method,
              url: req.url,
            }),
          },
        },
      }),
    }),
  ],
})
export class LoggingModule {}
