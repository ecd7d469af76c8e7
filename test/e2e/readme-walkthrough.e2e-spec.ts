import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { BuiltServer, startBuiltServer, waitForExit } from '../support/built-server';
import { BUILD_ENV } from '../support/global-setup';
import { createTestDatabase, TestDatabase } from '../support/test-database';

const ROOT = resolve(__dirname, '../..');
const EXAMPLES = join(ROOT, 'examples');
const SCRIPT = join(EXAMPLES, 'walkthrough.sh');
const ADMIN_KEY = 'walkthrough-admin-key-for-the-test';

/** The README's walkthrough section. */
function walkthroughSection(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  return readme.split('\n## Walkthrough: a whole job\n')[1]?.split('\n## ')[0] ?? '';
}

/** Every request line of the examples' .http files, `{{base}}` left out. */
function httpRequests(): { file: string; method: string; path: string }[] {
  return readdirSync(EXAMPLES)
    .filter((name) => name.endsWith('.http'))
    .flatMap((file) =>
      readFileSync(join(EXAMPLES, file), 'utf8')
        .split('\n')
        .map((line) => /^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) \{\{base\}\}(\S*)/.exec(line))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => ({ file, method: m[1], path: m[2] })),
    );
}

// The walkthrough runs a whole job through the compiled server, the prover agent and the CLI.
jest.setTimeout(240_000);

describe("the README's walkthrough (examples/walkthrough.sh) against the compiled server", () => {
  let db: TestDatabase;
  let server: BuiltServer;
  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startBuiltServer({ ...db.env, TALLY_ADMIN_KEY: ADMIN_KEY });
  });
  afterAll(async () => {
    if (server) {
      server.proc.kill('SIGTERM');
      await waitForExit(server, 20_000);
    }
    await db?.drop();
  });

  it('shows the script itself, so the two never drift', () => {
    const script = readFileSync(SCRIPT, 'utf8');
    const section = walkthroughSection();
    const blocks = [...section.matchAll(/^```bash\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
    expect(blocks.filter((b) => b.startsWith('#!'))).toEqual([script]);
    expect(section).toContain('`bash examples/walkthrough.sh`');
  });

  it('runs top to bottom and ends in "your balance is proven"', async () => {
    const build = process.env[BUILD_ENV]!;
    const node = process.execPath;
    let result: { code: number; stdout: string; stderr: string };
    try {
      const { stdout, stderr } = await promisify(execFile)('bash', [SCRIPT], {
        // The build directory holds no .env, so a developer's own cannot reach the CLI.
        cwd: build,
        timeout: 180_000,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          BASE: server.url,
          ADMIN_KEY,
          PROVER: `${node} ${join(build, 'apps/prover-agent/src/main.js')}`,
          CLI: `${node} ${join(build, 'apps/cli/src/main.js')}`,
        },
      });
      result = { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      result = { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
    const lines = result.stdout.trimEnd().split('\n');
    expect({ code: result.code, last: lines[lines.length - 1], stderr: result.stderr }).toEqual({
      code: 0,
      last: 'your balance is proven',
      stderr: '',
    });
    // What the steps did, as the walkthrough prints it: 100 minted, a 0.25 cost, 10% fee.
    expect(result.stdout).toContain('alice: 99.75 credits, prover-1: 0.225 credits');
    expect(result.stdout).toMatch(/^valid: chain of 3 receipt\(s\), head [0-9a-f]{64}$/m);
    expect(result.stdout).toMatch(
      /^valid: user\/alice holds 99\.75 credits after batch \d+, signed by key [0-9a-f]{64}/m,
    );
    expect(result.stdout).toContain('drained: exiting');
  });

  it("names in examples/*.http only operations the OpenAPI document has, and the script's calls", async () => {
    const document = (await (await fetch(`${server.url}/docs-json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => ({
        name: `${method.toUpperCase()} ${path}`,
        // A template's `{param}` takes one segment, as a variable or a literal id does.
        pattern: new RegExp(`^${method.toUpperCase()} ${path.replace(/\{[^}]+\}/g, '[^/]+')}$`),
      })),
    );
    /** The operation a call names (`{{jobId}}` or `$JOB` standing for any id), or the call itself when none. */
    const operationOf = (method: string, path: string) => {
      const call = `${method} ${path.split('?')[0].replace(/\{\{\w+\}\}|\$\w+/g, 'x')}`;
      return operations.find((op) => op.pattern.test(call))?.name ?? `unknown: ${method} ${path}`;
    };

    const requests = httpRequests().map((r) => operationOf(r.method, r.path));
    expect(requests.filter((name) => name.startsWith('unknown'))).toEqual([]);

    // The script's calls: its get/post helpers, and curl for the public routes.
    const script = readFileSync(SCRIPT, 'utf8');
    const calls = [
      ...[...script.matchAll(/\b(get|post) "?(\/v1\/[^"\s]*)/g)].map((m) => operationOf(m[1].toUpperCase(), m[2])),
      ...[...script.matchAll(/"\$BASE(\/v1\/[^"\s]*)"/g)].map((m) => operationOf('GET', m[1])),
    ];
    expect(calls).toHaveLength(13);
    expect(new Set(requests)).toEqual(new Set(calls));
  });
});
