import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import e2eGlobalSetup from './global-setup';

const ROOT = resolve(__dirname, '../..');

/** The e2e setup, then the dashboard built as `npm run build` builds it, for the app to serve. */
export default function browserGlobalSetup(): void {
  e2eGlobalSetup();
  execFileSync(
    process.execPath,
    [resolve(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'apps/dashboard/vite.config.mts'],
    {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
}
