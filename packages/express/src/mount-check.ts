import express, { type Request } from 'express';
import { notMountedStandIn, routesBeforeProblem, type Auditor, type RoutesBefore } from '@auditkit/core';

/**
 * `app.use(audit())` placed after the routes (issue 11): those routes answer before the middleware
 * runs, so their requests are not audited, and a handler calling `req.audit` would crash on
 * `undefined` though the types promise a handle. Two guards:
 * - the first request that reaches the middleware looks at the layers mounted before it, and reports
 *   the routes it finds there (AUDITKIT_NOT_MOUNTED, once, naming the fix);
 * - Express's base request gets an `audit` accessor, so `req.audit` on a request the middleware never
 *   saw is a stand-in that records nothing and reports the same fault, never `undefined`.
 */

interface Layer {
  route?: { path?: unknown; methods?: Record<string, boolean> };
  handle?: unknown;
}

const FIX = 'mount app.use(audit()) before your routes and routers (before express.json() too, so malformed bodies are recorded)';

/** Up to three of the routes under the layers before `until` ("POST /items"), and how many there are. */
function routesBefore(stack: readonly Layer[], until: number): RoutesBefore {
  const found = { count: 0, names: [] as string[] };
  const walk = (layers: readonly Layer[], depth: number): void => {
    for (const layer of layers) {
      if (layer.route) {
        found.count++;
        if (found.names.length < 3) {
          const methods = Object.keys(layer.route.methods ?? {}).filter((m) => m !== '_all');
          found.names.push(`${(methods[0] ?? 'all').toUpperCase()} ${String(layer.route.path)}`);
        }
        continue;
      }
      // A mounted router or sub-application: its routes answer before the middleware too.
      const handle = layer.handle as { stack?: unknown; router?: { stack?: unknown } } | undefined;
      const inner = handle?.stack ?? handle?.router?.stack;
      if (Array.isArray(inner) && depth < 8) walk(inner as Layer[], depth + 1);
    }
  };
  walk(stack.slice(0, until), 0);
  return found;
}

/** Runs on the middleware's first request: reports routes mounted before it. */
export function checkMountOrder(req: Request, middleware: unknown, auditor: Auditor): void {
  const stack = (req.app as { router?: { stack?: unknown } } | undefined)?.router?.stack;
  if (!Array.isArray(stack)) return;
  const own = (stack as Layer[]).findIndex((layer) => layer.handle === middleware);
  // Mounted inside a router rather than on the app: the app's order says nothing about it.
  if (own === -1) return;
  const problem = routesBeforeProblem(routesBefore(stack as Layer[], own), 'req.audit', FIX);
  if (problem !== undefined) auditor.notMounted(problem);
}

const standIn = notMountedStandIn(
  () => express.request as object,
  `req.audit was used in a route that audit() did not see (mounted after that route, or under another path), so nothing was recorded. Fix: ${FIX}`,
);

/** The auditor a stand-in reports to: the one created last (an app normally has one). */
export function standInReportsTo(auditor: Auditor): void {
  standIn.reportTo(auditor);
}
