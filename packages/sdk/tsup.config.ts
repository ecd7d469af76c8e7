import { defineConfig } from 'tsup';

// One bundle per module system, with declarations. The offline verifiers and the error codes
// come from the repo's libs and are bundled in; the npm dependencies stay dependencies.
export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['cjs', 'esm'],
  dts: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  tsconfig: 'tsconfig.json',
});
