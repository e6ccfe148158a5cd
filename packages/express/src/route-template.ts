import type { Request } from 'express';
import { match, type MatchFunction } from 'path-to-regexp';

/**
 * The matched route's template with every mount prefix, e.g. `/orgs/:orgId/users/:id` for
 * `app.use('/orgs/:orgId', router)` + `router.delete('/users/:id')`.
 *
 * Express keeps only the route's own path (`req.route.path`) and the matched *values* of the mount
 * prefixes (`req.baseUrl` is `/orgs/42`). The patterns live on the router layers (`layer.rawPath`,
 * router >= 2.3), so each application's routers are walked once (and again only when a route shows
 * up that the index does not know) to map every Route object to its full template(s). A route
 * reachable through several mounts is told apart by matching the request path.
 */

interface Layer {
  route?: { path: unknown; methods?: Record<string, boolean> };
  handle?: { stack?: unknown };
  rawPath?: unknown;
}

interface Candidate {
  template: string;
  paramNames: string[];
  matcher: MatchFunction<Record<string, string | string[]>>;
}

type ExpressApp = Request['app'] & { router?: { stack?: Layer[] }; path?: () => string };

interface AppIndex {
  routes: WeakMap<object, Candidate[]>;
  /** Every route's templates in the order Express tries them, with the methods the route answers. */
  ordered: Array<{ candidate: Candidate; methods: Record<string, boolean> }>;
  /** True when some router had no rawPath (router < 2.3): mount prefixes are unknown there. */
  incomplete: boolean;
}

const indexes = new WeakMap<object, AppIndex>();
const PARAM = /[:*]([A-Za-z_$][\w$]*)/g;

function asPath(p: unknown): string {
  return typeof p === 'string' ? p : String(p);
}

/** Appends a path to a prefix the way the router nests them; a mount at `/` adds nothing. */
export function joinPath(prefix: string, path: string): string {
  const p = path.replace(/\/+$/, '');
  if (p === '') return prefix;
  return prefix + (p.startsWith('/') ? p : '/' + p);
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function candidate(template: string): Candidate {
  let matcher: Candidate['matcher'];
  try {
    matcher = match(template === '' ? '/' : template, { decode: safeDecode, end: true, trailing: true });
  } catch {
    matcher = () => false;
  }
  return { template: template === '' ? '/' : template, paramNames: [...template.matchAll(PARAM)].map((m) => m[1]!), matcher };
}

function walk(stack: Layer[], prefix: string, index: AppIndex, depth: number): void {
  if (depth > 32) return;
  for (const layer of stack) {
    if (layer.route) {
      const routePaths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
      const list = index.routes.get(layer.route) ?? [];
      for (const p of routePaths) {
        const template = joinPath(prefix, asPath(p));
        if (list.some((c) => c.template === (template || '/'))) continue;
        const c = candidate(template);
        list.push(c);
        index.ordered.push({ candidate: c, methods: layer.route.methods ?? {} });
      }
      index.routes.set(layer.route, list);
    } else if (layer.handle && Array.isArray(layer.handle.stack)) {
      if (layer.rawPath === undefined) {
        index.incomplete = true;
        continue;
      }
      const mounts = Array.isArray(layer.rawPath) ? layer.rawPath : [layer.rawPath];
      for (const m of mounts) walk(layer.handle.stack as Layer[], joinPath(prefix, asPath(m)), index, depth + 1);
    }
  }
}

function indexApp(app: ExpressApp): AppIndex {
  const index: AppIndex = { routes: new WeakMap(), ordered: [], incomplete: false };
  // A sub-application's own mount chain, as patterns (`app.path()`).
  const mount = typeof app.path === 'function' ? app.path() : '';
  const stack = app.router?.stack;
  if (Array.isArray(stack)) walk(stack, joinPath('', mount), index, 0);
  indexes.set(app, index);
  return index;
}

function pathnameOf(req: Request): string {
  const url = req.originalUrl ?? req.url ?? '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

export interface MatchedRoute {
  template: string;
  /** Parameters of the whole template, including those of parent routers without mergeParams. */
  params: Record<string, unknown> | undefined;
  /** The template may lack mount prefixes (an old router). */
  partial: boolean;
}

export function matchedRoute(req: Request): MatchedRoute | undefined {
  const route = req.route as { path: unknown } | undefined;
  if (!route) return undefined;
  const app = req.app as ExpressApp;
  let index = indexes.get(app) ?? indexApp(app);
  let list = index.routes.get(route);
  if (!list) {
    // Routes can be added after the first request: index once more before giving up.
    index = indexApp(app);
    list = index.routes.get(route);
  }
  if (!list || list.length === 0) {
    return { template: asPath(route.path), params: req.params, partial: true };
  }
  const params = req.params as Record<string, unknown> | undefined;
  if (list.length === 1) {
    const only = list[0]!;
    // The common case: req.params already holds every parameter, no matching needed.
    if (params && only.paramNames.every((n) => n in params)) return { template: only.template, params, partial: index.incomplete };
  }
  const pathname = pathnameOf(req);
  for (const c of list) {
    const m = c.matcher(pathname);
    if (m) return { template: c.template, params: { ...m.params }, partial: index.incomplete };
  }
  return { template: list[0]!.template, params, partial: index.incomplete };
}

/**
 * The route a request was meant for when none ran: a body parser mounted before the routes refused
 * its body (malformed JSON answers 400 before routing). The first route, in Express's order, whose
 * template matches the path and that answers the method; undefined for a real 404.
 */
export function intendedRoute(req: Request): MatchedRoute | undefined {
  const app = req.app as ExpressApp | undefined;
  if (!app) return undefined;
  const index = indexes.get(app) ?? indexApp(app);
  const method = String(req.method).toLowerCase();
  const pathname = pathnameOf(req);
  for (const { candidate: c, methods } of index.ordered) {
    if (!methods[method] && !methods._all && !(method === 'head' && methods.get)) continue;
    const m = c.matcher(pathname);
    if (m) return { template: c.template, params: { ...m.params }, partial: index.incomplete };
  }
  return undefined;
}
