import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageVersion } from './package-version';

describe('packageVersion', () => {
  it("is the version in the repository's package.json", () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '../../../../package.json'), 'utf8')) as { version: string };
    expect(packageVersion()).toBe(pkg.version);
  });

  it('is "unknown" when no package.json of that name is above', () => {
    expect(packageVersion(__dirname, 'not-tally')).toBe('unknown');
  });
});
