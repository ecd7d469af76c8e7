import { DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { Clock, SystemClock } from '../time';
import { TallyEnv, validateEnv } from './tally-env';

/**
 * Validates the environment once and provides it as the typed `TallyEnv`, with the `Clock`.
 * `overrides` lets tests and the benchmark start an app without touching process.env.
 */
@Global()
@Module({})
export class TallyConfigModule {
  static forRoot(overrides: Record<string, string | undefined> = {}): DynamicModule {
    let env: TallyEnv | undefined;
    // Answers nothing to ConfigModule, which would otherwise write every validated setting
    // into process.env, where an app started later in the same process (a test's) would read it.
    const validate = (raw: Record<string, unknown>) => {
      env = validateEnv({ ...raw, ...overrides });
      return {};
    };
    return {
      module: TallyConfigModule,
      // `.env` is read by the entry points (loadDotEnv, before anything else reads the environment).
      imports: [ConfigModule.forRoot({ ignoreEnvFile: true, validate, cache: true })],
      providers: [
        { provide: TallyEnv, useFactory: () => env ?? validateEnv({ ...process.env, ...overrides }) },
        // Business time (stamps, deadlines) is read from here, so a test can set it.
        { provide: Clock, useClass: SystemClock },
      ],
      exports: [TallyEnv, ConfigModule, Clock],
    };
  }
}
