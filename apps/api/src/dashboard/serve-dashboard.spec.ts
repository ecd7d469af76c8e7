import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { serveDashboard } from './serve-dashboard';

describe('serveDashboard', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'tally-dashboard-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function served(root: string) {
    const fastify = Fastify({ routerOptions: { ignoreTrailingSlash: true } });
    serveDashboard(fastify, root);
    await fastify.ready();
    return fastify;
  }

  it('serves the built page, never cached, and its hashed bundles, cached for good', async () => {
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Tally dashboard</title>');
    writeFileSync(join(dir, 'assets/index-abc123.js'), 'console.log(1)');
    const fastify = await served(dir);
    for (const url of ['/dashboard', '/dashboard/']) {
      const page = await fastify.inject({ url });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.headers['cache-control']).toBe('no-cache');
      expect(page.body).toContain('Tally dashboard');
      expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(page.headers['content-security-policy']).toContain("script-src 'self';");
      expect(page.headers['x-frame-options']).toBe('DENY');
    }
    const bundle = await fastify.inject({ url: '/dashboard/assets/index-abc123.js' });
    expect(bundle.statusCode).toBe(200);
    expect(bundle.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(bundle.headers['x-content-type-options']).toBe('nosniff');
    expect((await fastify.inject({ url: '/dashboard/assets/missing.js' })).statusCode).toBe(404);
    await fastify.close();
  });

  it('says how to build it when it is not built, instead of failing', async () => {
    const fastify = await served(join(dir, 'nothing-here'));
    for (const url of ['/dashboard', '/dashboard/', '/dashboard/assets/index.js']) {
      const answer = await fastify.inject({ url });
      expect(answer.statusCode).toBe(503);
      expect(answer.body).toContain('npm run build');
    }
    await fastify.close();
  });
});
