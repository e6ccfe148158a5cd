import Koa, { type Context } from 'koa';
import { notMountedStandIn, routesBeforeProblem, type Auditor, type RoutesBefore } from '@auditkit/core';

/**
 * `app.use(audit())` placed after the routers (issue 11): a matched route answers without calling
 * `next()`, so the middleware never runs for it, its request is not audited, and `ctx.audit` would be
 * `undefined` though the types promise a handle. Two guards:
 * - the first request that reaches the middleware looks at the middleware before it, and reports the
 *   routes of any @koa/router found there (AUDITKIT_NOT_MOUNTED, once, naming the fix);
 * - Koa's base context gets an `audit` accessor, so `ctx.audit` on a request the middleware never saw
 *   is a stand-in that records nothing and reports the same fault, never `undefined`.
 */

interface RouterLayer {
  methods?: unknown;
  path?: unknown;
}

const FIX = 'put app.use(audit()) before app.use(router.routes()) and before the body parser';

/** The routes of the @koa/router dispatchers among `middleware` ("POST /items"), at most three named. */
function routesIn(middleware: readonly unknown[]): RoutesBefore {
  const found = { count: 0, names: [] as string[] };
  for (const fn of middleware) {
    const stack = (fn as { router?: { stack?: unknown } }).router?.stack;
    if (!Array.isArray(stack)) continue;
    for (const layer of stack as RouterLayer[]) {
      const methods = Array.isArray(layer.methods) ? (layer.methods as unknown[]).map(String) : [];
      // router.use() layers have no methods: middleware, not routes.
      if (methods.length === 0) continue;
      found.count++;
      if (found.names.length < 3) found.names.push(`${methods.find((m) => m !== 'HEAD') ?? methods[0]} ${String(layer.path)}`);
    }
  }
  return found;
}

/** Runs on the middleware's first request: reports routers mounted before it. */
export function checkMountOrder(ctx: Context, middleware: unknown, auditor: Auditor): void {
  const stack = (ctx.app as { middleware?: unknown } | undefined)?.middleware;
  if (!Array.isArray(stack)) return;
  const own = stack.indexOf(middleware);
  // Composed into another middleware (koa-compose, a router): the app's order says nothing about it.
  if (own === -1) return;
  const problem = routesBeforeProblem(routesIn(stack.slice(0, own)), 'ctx.audit', FIX);
  if (problem !== undefined) auditor.notMounted(problem);
}

// Koa exports no handle on its base context; every app's context inherits from it, so one app,
// created here and never started, shows where it is.
const standIn = notMountedStandIn(
  () => Object.getPrototypeOf(new Koa().context) as object,
  `ctx.audit was used in a route that audit() did not see (mounted after that route's router), so nothing was recorded. Fix: ${FIX}`,
);

/** The auditor a stand-in reports to: the one created last (an app normally has one). */
export function standInReportsTo(auditor: Auditor): void {
  standIn.reportTo(auditor);
}
