// The files a compiled build needs beside the JavaScript swc writes (swc copies only code):
// used by `npm run build:js` (into dist/) and by the e2e global setup (into its own build).
const { cpSync, existsSync } = require('node:fs');
const { join, resolve } = require('node:path');

const ROOT = resolve(__dirname, '..');
const ASSETS = [
  // The gRPC server loads its contract from proto/.
  'proto',
  // Problem types link to the error reference, served from docs/errors.md.
  'docs/errors.md',
  // The service registry's seeded services.
  'libs/services/src/seed/services.json',
];
// The admin dashboard, once `npm run build:dashboard` has built it (the API serves it at /dashboard).
const OPTIONAL_ASSETS = ['apps/dashboard/dist'];

function copyBuildAssets(out) {
  for (const asset of ASSETS) cpSync(join(ROOT, asset), join(out, asset), { recursive: true });
  for (const asset of OPTIONAL_ASSETS) {
    if (existsSync(join(ROOT, asset))) cpSync(join(ROOT, asset), join(out, asset), { recursive: true });
  }
}

if (require.main === module) {
  if (!process.argv[2]) throw new Error('usage: node scripts/copy-build-assets.cjs <build directory>');
  copyBuildAssets(resolve(process.argv[2]));
}
module.exports = { copyBuildAssets };
