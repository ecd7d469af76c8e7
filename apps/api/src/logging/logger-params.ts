import type { IncomingMessage } from 'node:http';
import type { Params } from 'nestjs-pino';
import { stdTimeFunctions } from 'pino';
import type { TallyEnv } from '@tally/shared';
import { requestIdOf } from '../http/http-adapter';

/** Pretty lines for a person at a terminal; JSON for everything else (and in production). */
export function prettyLogs(): boolean {
  return process.stdout.isTTY === true && process.env.NODE_ENV !== 'production';
}

/** The logger's settings, for the app (LoggingModule) and for start-up before it (main.ts). */
export function loggerParams(env: Pick<TallyEnv, 'LOG_LEVEL'>): Params {
  return {
    pinoHttp: {
      level: env.LOG_LEVEL,
      timestamp: stdTimeFunctions.isoTime,
      ...(prettyLogs()
        ? {
            transport: {
              target: 'pino-pretty',
              options: {
                translateTime: 'SYS:HH:MM:ss.l',
                ignore: 'pid,hostname,req,res,responseTime',
                singleLine: true,
              },
            },
          }
        : {}),
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
  };
}
