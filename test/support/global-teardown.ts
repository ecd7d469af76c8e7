import { rmSync } from 'node:fs';
import { BUILD_ENV } from './global-setup';

/** Removes this run's compiled app (see global-setup.ts). */
export default function globalTeardown(): void {
  const out = process.env[BUILD_ENV];
  if (out) rmSync(out, { recursive: true, force: true });
}
