import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { DataSource } from 'typeorm';
import { Cli, CliUsageError, EXIT, once, withExamples } from '../cli-command';

/** `migration run|revert|generate`: the schema of the configured database. */
export function migrationCommands(program: Command, cli: Cli): void {
  const migration = program.command('migration').description('database schema migrations');

  // Opening the app applies pending migrations (as the service does), so `run` only reports.
  withExamples(
    migration
      .command('run')
      .description('apply pending migrations and list those applied')
      .action(
        cli.action(async () => {
          const executed = await (
            await cli.open()
          )
            .get(DataSource)
            .query(`SELECT name FROM typeorm_migrations ORDER BY id`);
          console.log(`migrations applied: ${executed.map((m: { name: string }) => m.name).join(', ')}`);
          return EXIT.ok;
        }),
      ),
    'migration run',
  );

  withExamples(
    migration
      .command('revert')
      .description('revert the last applied migration')
      .action(
        cli.action(async () => {
          await (await cli.open()).get(DataSource).undoLastMigration({ transaction: 'each' });
          console.log('reverted the last migration');
          return EXIT.ok;
        }),
      ),
    'migration revert',
  );

  /** Writes a migration with the SQL that brings the schema in line with the entities. */
  withExamples(
    migration
      .command('generate')
      .description('write a migration with the SQL that brings the schema in line with the entities')
      .option('--name <PascalName>', 'the migration class name (required unless --check)', once())
      .option('--check', 'write nothing; exit 1 if entities and migrations differ')
      .action(
        cli.action(async (opts: { name?: string; check?: boolean }) => {
          if (!opts.check && !opts.name) throw new CliUsageError('--name is required (or --check)');
          const sql = await (await cli.open()).get(DataSource).driver.createSchemaBuilder().log();
          if (sql.upQueries.length === 0) {
            console.log('no changes: entities and migrations agree');
            return EXIT.ok;
          }
          if (opts.check) {
            console.error('entities and migrations differ:');
            sql.upQueries.forEach((q) => console.error(`  ${q.query}`));
            return EXIT.failed;
          }
          const name = opts.name!;
          const stamp = Date.now();
          const escape = (s: string) => s.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${');
          const lines = (qs: { query: string }[]) =>
            qs.map((q) => `    await q.query(\`${escape(q.query)}\`);`).join('\n');
          const file = join(process.cwd(), 'migrations', `${stamp}-${name}.ts`);
          writeFileSync(
            file,
            `import { MigrationInterface, QueryRunner } from 'typeorm';\n\nexport class ${name}${stamp} implements MigrationInterface {\n  name = '${name}${stamp}';\n\n  async up(q: QueryRunner): Promise<void> {\n${lines(sql.upQueries)}\n  }\n\n  async down(q: QueryRunner): Promise<void> {\n${lines([...sql.downQueries].reverse())}\n  }\n}\n`,
          );
          console.log(`wrote ${file}; add ${name}${stamp} to migrations/index.ts`);
          return EXIT.ok;
        }),
      ),
    'migration generate --name AddJobLabels',
    'migration generate --check',
  );
}
