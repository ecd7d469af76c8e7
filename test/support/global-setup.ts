import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
/** Under node_modules so the compiled files resolve packages exactly as dist/ does. */
export const BUILD_CACHE = join(ROOT, 'node_modules/.cache/tally-e2e');
export const BUILD_ENV = 'TALLY_E2E_BUILD';
/** An initialised, empty embedded data directory that each embedded test database copies. */
export const EMBEDDED_TEMPLATE_ENV = 'TALLY_E2E_EMBEDDED_TEMPLATE';

/**
 * e2e global setup: compiles the app with swc (as `npm run build:js` does) once per run,
 * for the tests that spawn the real server process (shutdown, bad configuration). Each
 * run builds into a directory of its own, so concurrent runs and `npm start` (which
 * empties dist/) never pull files from under each other.
 */
export default function globalSetup(): void {
  mkdirSync(BUILD_CACHE, { recursive: true });
  // Builds left by runs that were killed before their teardown.
  for (const name of readdirSync(BUILD_CACHE)) {
    if (!isRunning(Number(name.split('-')[0]))) rmSync(join(BUILD_CACHE, name), { recursive: true, force: true });
  }
  const out = join(BUILD_CACHE, `${process.pid}-${randomBytes(4).toString('hex')}`);
  execFileSync(
    join(ROOT, 'node_modules/.bin/swc'),
    [
      ...[
        'apps',
        'libs',
        'migrations',
        '-d',
        out,
        '--quiet',
        '--ignore',
        '**/*.spec.ts',
        '--ignore',
        '**/*.e2e-spec.ts',
      ],
      // The dashboard is built by Vite, not swc.
      ...['--ignore', 'apps/dashboard/**'],
    ],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  // proto/, docs/errors.md, the seeded services: as `npm run build:js` copies them.
  execFileSync(process.execPath, [join(ROOT, 'scripts/copy-build-assets.cjs'), out], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  // Initialising a PGlite data directory (its initdb, in WASM) takes seconds; copying one
  // takes a fraction of that, so each embedded test database starts from this copy.
  const template = join(out, 'embedded-template');
  execFileSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      "import { PGlite } from '@electric-sql/pglite'; await (await PGlite.create(process.argv[1])).close();",
      template,
    ],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  // Test workers start after this and inherit the environment.
  process.env[BUILD_ENV] = out;
  process.env[EMBEDDED_TEMPLATE_ENV] = template;
}

/** Whether a process with this id exists (one owned by another user counts). */
export function isRunning(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
