import type { FastifyInstance } from 'fastify';

/**
 * The methods each route path takes, collected as Fastify registers the routes, so a
 * request that matches a path under another method is told 405 with `Allow`, not "no route".
 */
export class RouteMethods {
  private readonly routes = new Map<string, { path: RegExp; methods: Set<string> }>();

  /** Call before the routes are registered (Nest registers them at init). */
  collect(fastify: Pick<FastifyInstance, 'addHook'>): void {
    fastify.addHook('onRoute', ({ url, method }) => {
      if (url.includes('*')) return; // the catch-all answering unknown paths serves no path of its own
      let route = this.routes.get(url);
      if (!route) {
        const pattern = url
          .split('/')
          .map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
          .join('/');
        this.routes.set(url, (route = { path: new RegExp(`^${pattern}/?$`), methods: new Set() }));
      }
      for (const m of Array.isArray(method) ? method : [method]) route.methods.add(m.toUpperCase());
    });
  }

  /** The methods some route takes at `path` (a concrete path, no query), sorted; none: []. */
  allowed(path: string): string[] {
    const methods = new Set<string>();
    for (const route of this.routes.values()) {
      if (route.path.test(path)) route.methods.forEach((m) => methods.add(m));
    }
    return [...methods].sort();
  }
}
