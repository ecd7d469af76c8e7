import type { INestApplicationContext } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { type ApiKey, CreateApiKeyCommand, ListApiKeysQuery, RevokeApiKeyCommand } from '@tally/auth';
import { Command } from 'commander';
import { asControlAction, Cli, CliUsageError, EXIT, once, oneOf, withExamples } from '../cli-command';

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

/** `keys create|list|revoke`: API keys, made and revoked on the database directly (no key needed). */
export function keysCommands(program: Command, cli: Cli): void {
  const keys = program.command('keys').description('create, list and revoke API keys');

  withExamples(
    keys
      .command('create')
      .description('create an API key; the key is printed once')
      .requiredOption('--role <role>', 'admin, client or prover', once(oneOf(['admin', 'client', 'prover'])))
      .requiredOption('--subject <id>', 'who the key acts as: the client or prover id', once())
      .option('--require-signature', 'requests must be HMAC-signed (prover keys only)')
      .option('--label <text>', 'a note shown by keys list', once())
      .option('--json', 'print JSON')
      .action(
        cli.action(
          async (opts: {
            role: string;
            subject: string;
            requireSignature?: boolean;
            label?: string;
            json?: boolean;
          }) => {
            const app = await cli.open();
            const fields = {
              role: opts.role,
              subject: opts.subject,
              require_signature: opts.requireSignature === true,
              label: opts.label ?? null,
            };
            const created = await asControlAction(app, 'admin.createKey', fields, () =>
              bus(app).commands.execute(
                new CreateApiKeyCommand(opts.role, opts.subject, {
                  requireSignature: opts.requireSignature === true,
                  label: opts.label,
                }),
              ),
            );
            if (opts.json) {
              console.log(JSON.stringify({ ...asJson(created.apiKey), key: created.secret }, null, 2));
              return EXIT.ok;
            }
            const { apiKey } = created;
            console.log(`id:      ${apiKey.id}`);
            console.log(`key:     ${created.secret}`);
            console.log(`role:    ${apiKey.role}`);
            console.log(`subject: ${apiKey.subject}`);
            if (apiKey.requireSignature) {
              console.log(
                'signed:  yes (X-Timestamp and X-Signature, HMAC-SHA256 keyed with the hex SHA-256 of the key)',
              );
            }
            console.error('Store the key now: it is not shown again.');
            return EXIT.ok;
          },
        ),
      ),
    'keys create --role admin --subject ops',
    'keys create --role prover --subject p1 --require-signature --json',
  );

  withExamples(
    keys
      .command('list')
      .description('list every API key (prefixes only, never the keys)')
      .option('--json', 'print JSON')
      .action(
        cli.action(async (opts: { json?: boolean }) => {
          const list = await bus(await cli.open()).queries.execute(new ListApiKeysQuery());
          if (opts.json) {
            console.log(JSON.stringify(list.map(asJson), null, 2));
            return EXIT.ok;
          }
          if (list.length === 0) {
            console.log('no API keys');
            return EXIT.ok;
          }
          const rows = list.map((k) => [
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
          return EXIT.ok;
        }),
      ),
    'keys list --json',
  );

  withExamples(
    keys
      .command('revoke')
      .description('revoke an API key: requests with it are refused from then on')
      .argument('[id]', 'the key id (as keys list shows it)')
      .option('--id <id>', 'the key id, as an option', once())
      .option('--json', 'print JSON')
      .action(
        cli.action(async (positional: string | undefined, opts: { id?: string; json?: boolean }) => {
          if (positional !== undefined && opts.id !== undefined) throw new CliUsageError('one key id at a time');
          const id = opts.id ?? positional;
          if (!id) throw new CliUsageError('the key id is required');
          const app = await cli.open();
          const key = await asControlAction(app, 'admin.revokeKey', { id }, () =>
            bus(app).commands.execute(new RevokeApiKeyCommand(id)),
          );
          if (opts.json) console.log(JSON.stringify(asJson(key), null, 2));
          else
            console.log(
              `revoked ${key.id} (${key.prefix}…, ${key.role} ${key.subject}) at ${key.revokedAt?.toISOString()}`,
            );
          return EXIT.ok;
        }),
      ),
    'keys revoke 0b9d6c9e-5c3f-4d0e-9a51-1b7e1c2d3f4a',
  );
}
