import type { INestApplicationContext } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { type ApiKey, CreateApiKeyCommand, ListApiKeysQuery, RevokeApiKeyCommand } from '@tally/auth';
import { CliArgs, CliCommand, CliUsageError, optionalFlag, requireFlag } from '../cli-command';

function flagBoolean(args: CliArgs, name: string): boolean {
  const value = args.flags[name];
  if (value === undefined || value === 'false') return false;
  if (value === true || value === 'true') return true;
  throw new CliUsageError(`--${name} takes no value`);
}

function asJson(key: ApiKey) {
  return {
    id: key.id,
    prefix: key.prefix,
    role: key.role,
    subject: key.subject,
    require_signature: key.requireSignature,
    label: key.label,
    created_at: key.createdAt.toISOString(),
    revoked_at: key.revokedAt?.toISOString() ?? null,
  };
}

/** Left-aligned columns, the widest cell setting each column's width. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

const bus = (app: INestApplicationContext) => ({ commands: app.get(CommandBus), queries: app.get(QueryBus) });

export const keysCreate: CliCommand = {
  name: 'keys create',
  usage: 'keys create --role admin|client|prover --subject <id> [--require-signature] [--label <text>] [--json]',
  async run(open, args) {
    const created = await bus(await open()).commands.execute(
      new CreateApiKeyCommand(requireFlag(args, 'role'), requireFlag(args, 'subject'), {
        requireSignature: flagBoolean(args, 'require-signature'),
        label: optionalFlag(args, 'label'),
      }),
    );
    if (flagBoolean(args, 'json')) {
      console.log(JSON.stringify({ ...asJson(created.apiKey), key: created.secret }, null, 2));
      return 0;
    }
    const { apiKey } = created;
    console.log(`id:      ${apiKey.id}`);
    console.log(`key:     ${created.secret}`);
    console.log(`role:    ${apiKey.role}`);
    console.log(`subject: ${apiKey.subject}`);
    if (apiKey.requireSignature) {
      console.log('signed:  yes (X-Timestamp and X-Signature, HMAC-SHA256 keyed with the hex SHA-256 of the key)');
    }
    console.error('Store the key now: it is not shown again.');
    return 0;
  },
};

export const keysList: CliCommand = {
  name: 'keys list',
  usage: 'keys list [--json]',
  async run(open, args) {
    const keys = await bus(await open()).queries.execute(new ListApiKeysQuery());
    if (flagBoolean(args, 'json')) {
      console.log(JSON.stringify(keys.map(asJson), null, 2));
      return 0;
    }
    if (keys.length === 0) {
      console.log('no API keys');
      return 0;
    }
    const rows = keys.map((k) => [
      k.id,
      `${k.prefix}…`,
      k.role,
      k.subject,
      k.requireSignature ? 'yes' : 'no',
      k.createdAt.toISOString(),
      k.revokedAt?.toISOString() ?? '-',
      k.label ?? '',
    ]);
    console.log(table(['ID', 'PREFIX', 'ROLE', 'SUBJECT', 'SIGNED', 'CREATED', 'REVOKED', 'LABEL'], rows));
    return 0;
  },
};

export const keysRevoke: CliCommand = {
  name: 'keys revoke',
  usage: 'keys revoke <id> (or --id <id>) [--json]',
  async run(open, args) {
    const id = optionalFlag(args, 'id') ?? args.positionals[0];
    if (!id) throw new CliUsageError('the key id is required');
    if (args.positionals.length > (args.flags.id ? 0 : 1)) throw new CliUsageError('one key id at a time');
    const key = await bus(await open()).commands.execute(new RevokeApiKeyCommand(id));
    if (flagBoolean(args, 'json')) console.log(JSON.stringify(asJson(key), null, 2));
    else
      console.log(`revoked ${key.id} (${key.prefix}…, ${key.role} ${key.subject}) at ${key.revokedAt?.toISOString()}`);
    return 0;
  },
};

export const KEYS_COMMANDS: CliCommand[] = [keysCreate, keysList, keysRevoke];
