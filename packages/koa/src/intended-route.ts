import type { Context } from 'koa';

/**
 * The route a request was meant for when no router ran it: a body parser before the routers refused
 * its body (malformed JSON answers 400 before routing). Asks each @koa/router mounted on the app
 * (`dispatch.router`) which of its routes matches, as the router itself would; undefined for a real
 * 404. Only runs for requests that matched no route.
 */

interface RouterLayer {
  path: string;
  methods: string[];
  captures(path: string): string[];
  params(path: string, captures: string[], params: object): Record<string, unknown>;
}

interface KoaRouter {
  match(path: string, method: string): { pathAndMethod: RouterLayer[]; route: boolean };
}

export function intendedRoute(ctx: Context): { template: string; params: Record<string, unknown> } | undefined {
  const stack = (ctx.app as { middleware?: unknown } | undefined)?.middleware;
  if (!Array.isArray(stack)) return undefined;
  for (const fn of stack) {
    const router = (fn as { router?: KoaRouter } | null)?.router;
    if (typeof router?.match !== 'function') continue;
    try {
      const matched = router.match(ctx.path, ctx.method);
      if (!matched.route) continue;
      // As @koa/router picks it: the most specific (last) matching layer that is a route.
      const layer = matched.pathAndMethod.filter((l) => l.methods.length > 0).at(-1);
      if (!layer) continue;
      return { template: layer.path, params: layer.params(ctx.path, layer.captures(ctx.path), {}) };
    } catch {
      // A router of another shape: its routes stay unknown here.
    }
  }
  return undefined;
}
