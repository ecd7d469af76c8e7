import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { CliCommand, requireFlag } from '../cli-command';

// Booting the CLI applies pending migrations (as the service does), so `run` only reports.
export const migrationRun: CliCommand = {
  name: 'migration run',
  usage: 'migration run',
  async run(open) {
    const executed = await (await open()).get(DataSource).query(`SELECT name FROM typeorm_migrations ORDER BY id`);
    console.log(`migrations applied: ${executed.map((m: { name: string }) => m.name).join(', ')}`);
    return 0;
  },
};

export const migrationRevert: CliCommand = {
  name: 'migration revert',
  usage: 'migration revert',
  async run(open) {
    await (await open()).get(DataSource).undoLastMigration({ transaction: 'each' });
    console.log('reverted the last migration');
    return 0;
  },
};

/** Writes a migration with the SQL that brings the schema in line with the entities. */
export const migrationGenerate: CliCommand = {
  name: 'migration generate',
  usage: 'migration generate --name PascalName [--check]',
  async run(open, args) {
    const sql = await (await open()).get(DataSource).driver.createSchemaBuilder().log();
    if (sql.upQueries.length === 0) {
      console.log('no changes: entities and migrations agree');
      return 0;
    }
    if (args.flags.check) {
      console.error('entities and migrations differ:');
      sql.upQueries.forEach((q) => console.error(`  ${q.query}`));
      return 1;
    }
    const name = requireFlag(args, 'name');
    const stamp = Date.now();
    const escape = (s: string) => s.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${');
    const lines = (qs: { query: string }[]) => qs.map((q) => `    await q.query(\`${escape(q.query)}\`);`).join('\n');
    const file = join(process.cwd(), 'migrations', `${stamp}-${name}.ts`);
    writeFileSync(
      file,
      `import { MigrationInterface, QueryRunner } from 'typeorm';\n\nexport class ${name}${stamp} implements MigrationInterface {\n  name = '${name}${stamp}';\n\n  async up(q: QueryRunner): Promise<void> {\n${lines(sql.upQueries)}\n  }\n\n  async down(q: QueryRunner): Promise<void> {\n${lines([...sql.downQueries].reverse())}\n  }\n}\n`,
    );
    console.log(`wrote ${file}; add ${name}${stamp} to migrations/index.ts`);
    return 0;
  },
};
