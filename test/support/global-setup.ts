import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
/** Under node_modules so the compiled files resolve packages exactly as dist/ does. */
export const BUILD_CACHE = join(ROOT, 'node_modules/.cache/tally-e2e');
export const BUILD_ENV = 'TALLY_E2E_BUILD';

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
    ['apps', 'libs', 'migrations', '-d', out, '--quiet', '--ignore', '**/*.spec.ts', '--ignore', '**/*.e2e-spec.ts'],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  // The gRPC server loads its contract from proto/ beside the build (as `npm run build:js` copies it).
  cpSync(join(ROOT, 'proto'), join(out, 'proto'), { recursive: true });
  // The error reference that problem types link to is served from docs/errors.md (as `npm run build:js` copies it).
  cpSync(join(ROOT, 'docs/errors.md'), join(out, 'docs/errors.md'));
  // The registry's seeded services, a JSON file swc does not copy.
  const seed = 'libs/services/src/seed/services.json';
  cpSync(join(ROOT, seed), join(out, seed));
  // Test workers start after this and inherit the environment.
  process.env[BUILD_ENV] = out;
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
