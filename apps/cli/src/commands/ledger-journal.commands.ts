import { Command } from 'commander';
import { DataSource } from 'typeorm';
import { DatabaseConnection, serverOf } from '@tally/database';
import { Cli, CliUsageError, EXIT, once, withExamples } from '../cli-command';
import { diffDatabases, type Side } from '../journal/diff';
import { RowProgress } from '../journal/progress';
import { rebuild } from '../journal/rebuild';
import { appSession, inSnapshot, serverSession, type SqlSession } from '../journal/sql-session';

/** How `ledger diff` names the embedded database the configuration points at. */
const EMBEDDED = 'embedded';

function postgresUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error('It must be a postgres:// URL.');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') throw new Error('It must be a postgres:// URL.');
  return text;
}

/** The configured database, as the app opens it (the embedded one when DATABASE_URL is unset). */
async function configured(cli: Cli): Promise<SqlSession> {
  return appSession((await cli.open()).get(DataSource));
}

async function sideOf(cli: Cli, name: string, spec: string): Promise<Side> {
  if (spec !== EMBEDDED) return { name, db: await serverSession(spec) };
  const app = await cli.open();
  if (app.get(DatabaseConnection).kind !== 'embedded') {
    throw new CliUsageError(`"${EMBEDDED}" names the embedded database, but DATABASE_URL is set: give its URL instead`);
  }
  return { name, db: await configured(cli) };
}

/** `ledger rebuild` and `ledger diff`: the state rebuilt from the journal, and checked against the original. */
export function ledgerJournalCommands(ledger: Command, cli: Cli): void {
  withExamples(
    ledger
      .command('rebuild')
      .description(
        'replay the journal of the configured database into a new, empty Postgres database: journal tables copied in order, balances, counters and hash chains recomputed',
      )
      .requiredOption('--into <url>', 'the empty target database, a postgres:// URL', once(postgresUrl))
      .action(
        cli.action(async (opts: { into: string }) => {
          const source = await configured(cli);
          try {
            const report = await rebuild(source, opts.into, new RowProgress('rebuilding'));
            for (const { table, rows } of report.rows) console.log(`${table}: ${rows} rows`);
            console.log(
              `rebuilt into ${serverOf(opts.into)}; compare it: npm run cli -- ledger diff <source> <target>`,
            );
            return EXIT.ok;
          } finally {
            await source.close();
          }
        }),
      ),
    'ledger rebuild --into postgres://postgres@127.0.0.1:5432/tally_rebuilt',
  );

  withExamples(
    ledger
      .command('diff')
      .description(
        'compare two databases table by table (accounts with their balances, counters and chain heads, the journal, jobs, receipts, batches); one line per difference, exit 1 if any',
      )
      .argument('<a>', `a postgres:// URL, or "${EMBEDDED}" for the configured embedded database`)
      .argument('<b>', `a postgres:// URL, or "${EMBEDDED}"`)
      .action(
        cli.action(async (a: string, b: string) => {
          for (const spec of [a, b]) {
            if (spec === EMBEDDED) continue;
            try {
              postgresUrl(spec);
            } catch {
              throw new CliUsageError(`"${spec}" is not a postgres:// URL nor "${EMBEDDED}"`);
            }
          }
          if (a === b) throw new CliUsageError('the two databases are the same one');
          const left = await sideOf(cli, 'a', a);
          try {
            const right = await sideOf(cli, 'b', b);
            try {
              const differences = await inSnapshot(left.db, () =>
                inSnapshot(right.db, () =>
                  diffDatabases(left, right, (line) => console.log(line), new RowProgress('comparing')),
                ),
              );
              if (differences > 0) {
                console.error(`${differences} difference(s) between a and b`);
                return EXIT.failed;
              }
              console.log('no differences: every compared table holds the same rows in a and b');
              return EXIT.ok;
            } finally {
              await right.db.close();
            }
          } finally {
            await left.db.close();
          }
        }),
      ),
    `ledger diff ${EMBEDDED} postgres://postgres@127.0.0.1:5432/tally_rebuilt`,
    'ledger diff postgres://db1.example/tally postgres://db2.example/tally',
  );
}
