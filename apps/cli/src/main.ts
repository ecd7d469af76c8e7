import 'reflect-metadata';
import { Command, CommanderError } from 'commander';
import { DomainError, packageVersion } from '@tally/shared';
import { Cli, CliUsageError, EXIT } from './cli-command';
import { importCommand } from './commands/import.command';
import { keysCommands } from './commands/keys.commands';
import { ledgerCommands } from './commands/ledger.commands';
import { migrationCommands } from './commands/migration.commands';
import { verifyProofCommand } from './commands/verify-proof.command';
import { verifyReceiptCommand } from './commands/verify-receipt.command';

const HELP_HINT = '(add --help for usage)';

/** Every command, with its help. Commander's own exits are caught (exitOverride) to map them to our codes. */
function program(cli: Cli): Command {
  // Set before the commands are added: each subcommand inherits them.
  const root = new Command('npm run cli --')
    .description('Tally on the command line: keys, accounts, credits, bulk import, checks, and offline verification.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .exitOverride()
    .showHelpAfterError(HELP_HINT)
    .addHelpText(
      'after',
      '\nExit codes: 0 ok; 1 a failed check or command (an invalid proof, a refused request, no database);\n' +
        '2 a usage error (an unknown command or option, a missing or bad argument).',
    );
  migrationCommands(root, cli);
  keysCommands(root, cli);
  ledgerCommands(root, cli);
  importCommand(root, cli);
  verifyReceiptCommand(root, cli);
  verifyProofCommand(root, cli);
  markRequired(root);
  return root;
}

/** Commander's help does not say which options are required: their descriptions do. */
function markRequired(command: Command): void {
  for (const option of command.options) if (option.mandatory) option.description += ' (required)';
  command.commands.forEach(markRequired);
}

async function main(argv: string[]): Promise<number> {
  const cli = new Cli();
  try {
    await program(cli).parseAsync(argv, { from: 'user' });
    return cli.exitCode;
  } catch (error) {
    // Commander has printed its message: --help and --version exit 0, anything else is usage.
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (error instanceof CliUsageError) {
      console.error(`error: ${error.message}\n${HELP_HINT}`);
      return EXIT.usage;
    }
    if (error instanceof DomainError) console.error(`${error.code}: ${error.message}`);
    else console.error(error instanceof Error ? error.message : error);
    return EXIT.failed;
  } finally {
    await cli.close();
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
