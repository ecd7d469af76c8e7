import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnServer, waitForExit } from '../support/built-server';

describe('configuration (the compiled server)', () => {
  let dataDir: string;
  beforeAll(() => (dataDir = mkdtempSync(join(tmpdir(), 'tally-config-'))));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it.each([
    ['PORT', 'abc'],
    ['DATABASE_URL', 'mysql://x'],
    ['LOG_LEVEL', 'loud'],
    ['SHUTDOWN_GRACE_MS', '-5'],
    ['TALLY_ADMIN_KEY', 'short'],
  ])('refuses to start with %s=%s, naming the variable', async (name, value) => {
    const server = spawnServer({ TALLY_DATA_DIR: dataDir, [name]: value });
    const exit = await waitForExit(server, 50_000);
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    const stderr = server.stderr();
    expect(stderr).toContain('Invalid environment');
    expect(stderr).toMatch(new RegExp(`^\\s*${name}: `, 'm'));
    expect(stderr).not.toMatch(/^\s+at /m); // a message, not a stack trace
    expect(server.stdout()).not.toContain('listening on');
  });

  it('names every wrong variable at once', async () => {
    const server = spawnServer({ TALLY_DATA_DIR: dataDir, PORT: '70000', LOG_LEVEL: 'loud' });
    const exit = await waitForExit(server, 50_000);
    expect(exit.code).toBe(1);
    expect(server.stderr()).toMatch(/^\s*PORT: /m);
    expect(server.stderr()).toMatch(/^\s*LOG_LEVEL: /m);
  });
});
