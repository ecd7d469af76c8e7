import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * The admin dashboard: built to apps/dashboard/dist, which the API serves at /dashboard (and
 * `npm run build:js` copies into its build). The SDK's offline verifiers are imported as they
 * are; in the browser, node:crypto is the small shim in src/verify.
 */
export default defineConfig({
  root: here('.'),
  base: '/dashboard/',
  plugins: [react()],
  resolve: { alias: { 'node:crypto': here('src/verify/node-crypto.ts') } },
  build: { outDir: here('dist'), emptyOutDir: true, chunkSizeWarningLimit: 1024 },
  logLevel: 'warn',
});
