import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

/**
 * The admin dashboard's built files (apps/dashboard, built by `npm run build`): four levels up
 * from here in the sources, and in the build (which copies them beside the compiled app).
 */
export const DASHBOARD_DIR = join(__dirname, '../../../../apps/dashboard/dist');

const NOT_BUILT = [
  'The dashboard has not been built.',
  '',
  'Build it with `npm run build` (or `npm run build:dashboard`) and restart the service;',
  '`npm start` builds it too.',
  '',
].join('\n');

/**
 * The page holds an admin key (in session storage) and has buttons that drain provers: it loads
 * nothing but its own bundles, talks only to this API, and may not be framed (clickjacking).
 */
export const DASHBOARD_SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
} as const;

/**
 * Serves the dashboard at /dashboard as static files, public like /docs: every figure it shows
 * comes from the API with the admin key the person signs in with. Without a build, /dashboard
 * says how to make one instead of failing.
 */
export function serveDashboard(fastify: FastifyInstance, dir = DASHBOARD_DIR): void {
  const index = join(dir, 'index.html');
  if (!existsSync(index)) {
    const notBuilt = (_req: unknown, reply: FastifyReply) =>
      reply.code(503).type('text/plain; charset=utf-8').send(NOT_BUILT);
    fastify.get('/dashboard', notBuilt);
    fastify.get('/dashboard/*', notBuilt);
    return;
  }
  // One page with hash routes: /dashboard (with or without its slash) is index.html, never
  // cached; the bundles under assets/ are content-hashed, so cached for good.
  fastify.get('/dashboard', async (_req, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('Cache-Control', 'no-cache')
      .headers(DASHBOARD_SECURITY_HEADERS)
      .send(await readFile(index)),
  );
  fastify.register(fastifyStatic, {
    root: join(dir, 'assets'),
    prefix: '/dashboard/assets/',
    // Swagger UI registered the plugin first, and its reply decorators with it.
    decorateReply: false,
    maxAge: '365d',
    immutable: true,
    setHeaders: (reply) => reply.header('X-Content-Type-Options', 'nosniff'),
  });
}
