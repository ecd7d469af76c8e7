import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../support/cli';

// Nothing here opens a database: one that cannot be reached would make any command that tried exit 1.
const cli = (...args: string[]) => runCli({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere' }, ...args);

jest.setTimeout(120_000);

describe('CLI help, version and exit codes', () => {
  const leaves = [
    'migration run',
    'migration revert',
    'migration generate',
    'keys create',
    'keys list',
    'keys revoke',
    'accounts create',
    'mint',
    'ledger verify',
    'ledger rebuild',
    'ledger diff',
    'import',
    'verify-receipt',
    'verify-proof',
  ];

  it('every command has its own --help (description, options, an example) and exits 0', async () => {
    for (const command of leaves) {
      const res = await cli(...command.split(' '), '--help');
      expect([command, res.code, res.stderr]).toEqual([command, 0, '']);
      expect(res.stdout).toContain(`Usage: npm run cli -- ${command} `);
      expect(res.stdout).toMatch(/\nOptions:\n/);
      expect(res.stdout).toContain(`$ npm run cli -- ${command}`);
    }
    // A group's help lists its commands.
    const keys = await cli('keys', '--help');
    expect([keys.code, keys.stdout]).toEqual([0, expect.stringMatching(/^Usage: npm run cli -- keys /)]);
    expect(keys.stdout).toMatch(/create \[options\]\s+create an API key/);
    expect(keys.stdout).toMatch(/revoke \[options\] \[id\]/);
    const mint = await cli('mint', '-h');
    expect(mint.stdout).toMatch(/--idempotency-key <key>/);
    expect(mint.stdout).toMatch(/--amount <credits>\s+decimal credits[^-]*\(required\)/);
    const proof = await cli('help', 'verify-proof');
    expect(proof).toMatchObject({ code: 0, stdout: expect.stringContaining('--batch <batch.json>') });
    const all = await cli('--help');
    expect(all.code).toBe(0);
    for (const group of [
      'migration',
      'keys',
      'accounts',
      'mint',
      'ledger',
      'import',
      'verify-receipt',
      'verify-proof',
    ]) {
      expect(all.stdout).toMatch(new RegExp(`\\n  ${group} `));
    }
    expect(all.stdout).toContain('Exit codes: 0 ok; 1 a failed check');
    // 18 CLI processes, each loading the whole module graph (about 1.7 s of CPU): minutes on a
    // loaded 2-core machine.
  }, 300_000);

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8'));
    expect(await cli('--version')).toMatchObject({ code: 0, stdout: `${version}\n` });
    expect(await cli('-V')).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('usage errors exit 2 with one message and a hint, and open no database', async () => {
    for (const [args, message] of [
      [['nope'], "unknown command 'nope'"],
      [['keys', 'list', '--bogus'], "unknown option '--bogus'"],
      [['keys', 'create', '--role', 'client'], "required option '--subject <id>' not specified"],
      [
        ['keys', 'create', '--role', 'root', '--subject', 'a'],
        "option '--role <role>' argument 'root' is invalid. It must be one of admin, client, prover.",
      ],
      [['keys', 'revoke', 'a', 'b'], 'too many arguments'],
      [['keys', 'revoke', 'a', '--id', 'b'], 'one key id at a time'],
      [['keys', 'revoke'], 'the key id is required'],
      [['verify-receipt'], "missing required argument 'file'"],
      [['verify-proof', 'p.json'], "required option '--batch <batch.json>' not specified"],
      [['migration', 'generate'], '--name is required (or --check)'],
      [['ledger', 'rebuild'], "required option '--into <url>' not specified"],
      [
        ['ledger', 'rebuild', '--into', 'mysql://h/d'],
        "option '--into <url>' argument 'mysql://h/d' is invalid. It must be a postgres:// URL.",
      ],
      [['ledger', 'diff', 'embedded'], "missing required argument 'b'"],
      [['ledger', 'diff', 'nope', 'embedded'], '"nope" is not a postgres:// URL nor "embedded"'],
      [['ledger', 'diff', 'embedded', 'embedded'], 'the two databases are the same one'],
      [['import'], "missing required argument 'file'"],
      [
        ['import', 'f.jsonl', '--batch-size', '8191'],
        "option '--batch-size <n>' argument '8191' is invalid. It must be a whole number from 1 to 8190.",
      ],
      [
        ['import', 'f.jsonl', '--url', 'ftp://h'],
        "option '--url <url>' argument 'ftp://h' is invalid. It must be an http:// or https:// URL.",
      ],
      [['import', 'f.jsonl'], 'an API key is required: --key, or TALLY_ADMIN_KEY'],
    ] as const) {
      const res = await cli(...args);
      expect([args, res.code, res.stdout]).toEqual([args, 2, '']);
      expect(res.stderr).toContain(`error: ${message}`);
      expect(res.stderr).toContain('(add --help for usage)');
    }
    // A group without its command shows the group's help, as an error.
    const keys = await cli('keys');
    expect([keys.code, keys.stderr]).toEqual([2, expect.stringContaining('Usage: npm run cli -- keys')]);
    // A failed command is 1, not 2: here the database it needs cannot be reached.
    expect(await cli('keys', 'list')).toMatchObject({ code: 1 });
  });
});
