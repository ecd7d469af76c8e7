import type { INestApplicationContext } from '@nestjs/common';

/** Parsed `--name value` flags and positional words after the command name. */
export interface CliArgs {
  flags: Record<string, string | true>;
  positionals: string[];
}

/** One CLI command, e.g. `keys create`. It prints its result and returns an exit code. */
export interface CliCommand {
  name: string;
  usage: string;
  run(app: INestApplicationContext, args: CliArgs): Promise<number>;
}

export function parseArgs(argv: string[]): CliArgs {
  const flags: Record<string, string | true> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (word.startsWith('--')) {
      const [name, inline] = word.slice(2).split('=', 2);
      const next = argv[i + 1];
      if (inline !== undefined) flags[name] = inline;
      else if (next !== undefined && !next.startsWith('--')) flags[name] = argv[++i];
      else flags[name] = true;
    } else positionals.push(word);
  }
  return { flags, positionals };
}

export class CliUsageError extends Error {}

export function requireFlag(args: CliArgs, name: string): string {
  const value = args.flags[name];
  if (typeof value !== 'string' || value === '') throw new CliUsageError(`--${name} is required`);
  return value;
}
