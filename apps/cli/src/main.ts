import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadDotEnv } from '@tally/shared';
import { CliCommand, CliUsageError, flagsOf, parseArgs } from './cli-command';
import { CliModule } from './cli.module';
import { KEYS_COMMANDS } from './commands/keys.commands';
import { LEDGER_COMMANDS } from './commands/ledger.commands';
import { migrationGenerate, migrationRevert, migrationRun } from './commands/migration.commands';
import { verifyReceiptCommand } from './commands/verify-receipt.command';

const COMMANDS: CliCommand[] = [
  migrationRun,
  migrationRevert,
  migrationGenerate,
  ...KEYS_COMMANDS,
  ...LEDGER_COMMANDS,
  verifyReceiptCommand,
];

function usage(): string {
  return `usage: npm run cli -- <command>\n\ncommands:\n${COMMANDS.map((c) => `  ${c.usage}`).join('\n')}`;
}

async function main(argv: string[]): Promise<number> {
  const command = COMMANDS.find((c) => argv.slice(0, c.name.split(' ').length).join(' ') === c.name);
  if (!command) {
    // Asked for: the usage, exit 0; anything else unknown is a usage error.
    const help = ['--help', '-h', 'help'].includes(argv[0]);
    (help ? console.log : console.error)(usage());
    return help ? 0 : 2;
  }
  const rest = argv.slice(command.name.split(' ').length);
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(`usage: npm run cli -- ${command.usage}`);
    return 0;
  }
  let app: INestApplicationContext | undefined;
  const open = async () => (app ??= await openApp());
  try {
    return await command.run(open, parseArgs(rest, flagsOf(command)));
  } catch (error) {
    if (error instanceof CliUsageError) {
      console.error(`${error.message}\nusage: npm run cli -- ${command.usage}`);
      return 2;
    }
    console.error(error instanceof Error ? error.message : error);
    return 1;
  } finally {
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

main(process.argv.slice(2)).then((code) => process.exit(code));
