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
  /** `open` starts the app on the database, the first time it is called: a command that needs none never opens it. */
  run(open: () => Promise<INestApplicationContext>, args: CliArgs): Promise<number>;
}

/** The flags a command takes: those its usage line names. */
export function flagsOf(command: CliCommand): Set<string> {
  return new Set([...command.usage.matchAll(/--([a-z][a-z-]*)/g)].map((m) => m[1]));
}

/** Flags and positionals; a flag `known` does not list, or one given twice, is a usage error. */
export function parseArgs(argv: string[], known?: Set<string>): CliArgs {
  const flags: Record<string, string | true> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (word.startsWith('--')) {
      const [name, inline] = word.slice(2).split('=', 2);
      if (known && !known.has(name)) throw new CliUsageError(`unknown flag --${name}`);
      if (name in flags) throw new CliUsageError(`--${name} is given twice`);
      const next = argv[i + 1];
      if (inline !== undefined) flags[name] = inline;
      else if (next !== undefined && !next.startsWith('--')) flags[name] = argv[++i];
      else flags[name] = true;
    } else positionals.push(word);
  }
  return { flags, positionals };
}

export class CliUsageError extends Error {}

/** A flag that takes a value, if given; given bare, it is a usage error. */
export function optionalFlag(args: CliArgs, name: string): string | undefined {
  const value = args.flags[name];
  if (value === true) throw new CliUsageError(`--${name} needs a value`);
  return value;
}

/** A flag's value, one of `allowed`. */
export function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new CliUsageError(`--${name} must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}

export function requireFlag(args: CliArgs, name: string): string {
  const value = args.flags[name];
  if (typeof value !== 'string' || value === '') throw new CliUsageError(`--${name} is required`);
  return value;
}
