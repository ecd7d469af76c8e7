import { Module } from '@nestjs/common';
import { LoggerModule, Params, PARAMS_PROVIDER_TOKEN, PinoLogger } from 'nestjs-pino';
import { TallyEnv } from '@tally/shared';
import { loggerParams } from './logger-params';
import { TallyLogger } from './tally-logger';

/** JSON logs (pino) with the request id on every line of a request; pretty at a terminal. */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [TallyEnv],
      useFactory: (env: TallyEnv) => loggerParams(env),
    }),
  ],
  providers: [
    {
      provide: TallyLogger,
      inject: [PinoLogger, PARAMS_PROVIDER_TOKEN],
      useFactory: (pino: PinoLogger, params: Params) => new TallyLogger(pino, params),
    },
  ],
  exports: [TallyLogger],
})
export class LoggingModule {}
