import { userInfo } from 'node:os';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Command, InvalidArgumentError } from 'commander';
import { ControlLog, type ControlRunOptions, essentialFields } from '@tally/auth';
import { loadDotEnv } from '@tally/shared';
import { CliModule } from './cli.module';

/** Exit codes, the same for every command. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** Bad input found after parsing (a value commander cannot check alone): exit 2, like a parse error. */
export class CliUsageError extends Error {}

/**
 * What the commands share: the app on the database, opened the first time a command asks
 * for it (a command that needs none never opens it), and the exit code its action returned.
 */
export class Cli {
  exitCode: number = EXIT.ok;
  private app?: Promise<INestApplicationContext>;

  open = (): Promise<INestApplicationContext> => (this.app ??= openApp());

  /** A commander action from one that returns its exit code. */
  action<A extends unknown[]>(run: (...args: A) => Promise<number>): (...args: A) => Promise<void> {
    return async (...args: A) => {
      this.exitCode = await run(...args);
    };
  }

  async close(): Promise<void> {
    const app = await this.app?.catch(() => undefined);
    await app?.close();
  }
}

/** The app on the database. Nest logs nothing while it starts (a wrong DATABASE_URL would print stack traces): the error says it in one line. */
async function openApp(): Promise<INestApplicationContext> {
  loadDotEnv();
  try {
    const app = await NestFactory.createApplicationContext(CliModule.forRoot(), { logger: false, abortOnError: false });
    app.useLogger(['error', 'warn']);
    return app;
  } catch (error) {
    throw new Error(`cannot open the database: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}

/** Who runs the CLI: no API key, the operating-system user (the CLI works on the database directly). */
function operator(): string {
  try {
    return userInfo().username || 'operator';
  } catch {
    return 'operator';
  }
}

/**
 * Runs a command that changes state as a control action (DSE §7.4): appended to the control
 * log in the command's transaction, by the operator, under the same action name as the route
 * that does the same; `fields` are what the route's body would hold.
 */
export function asControlAction<T>(
  app: INestApplicationContext,
  action: string,
  fields: Record<string, unknown>,
  work: () => Promise<T>,
  options?: ControlRunOptions,
): Promise<T> {
  const actor = { keyId: null, role: 'cli' as const, subject: operator() };
  return app.get(ControlLog).run({ actor, action, fields: essentialFields(undefined, fields) }, work, options);
}

/** Adds "Example:" lines to a command's --help. */
export function withExamples(command: Command, ...examples: string[]): Command {
  return command.addHelpText(
    'after',
    `\nExample${examples.length > 1 ? 's' : ''}:\n${examples.map((e) => `  $ npm run cli -- ${e}`).join('\n')}`,
  );
}

/**
 * An option's parser that refuses the option given twice (commander would keep the last
 * silently) and checks the value with `parse`, whose error message becomes the usage error.
 */
export function once<T = string>(parse: (value: string) => T = (v) => v as T): (value: string, previous: T) => T {
  return (value, previous) => {
    if (previous !== undefined) throw new InvalidArgumentError('It is given twice.');
    try {
      return parse(value);
    } catch (error) {
      throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
    }
  };
}

/** A value that must be one of `allowed`. */
export function oneOf<T extends string>(allowed: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(allowed as readonly string[]).includes(value)) throw new Error(`It must be one of ${allowed.join(', ')}.`);
    return value as T;
  };
}
