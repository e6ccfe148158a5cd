import type { ServerResponse } from 'node:http';
import type { Context, Middleware, Next } from 'koa';
import {
  Auditor,
  STRICT_REFUSAL,
  responseFacts,
  watchNodeResponse,
  withControls,
  type AuditorControls,
  type AdapterBinding,
  type AuditContext,
  type AuditHandle,
  type AuditOptions,
  type CompletionFacts,
} from '@auditkit/core';
import { checkMountOrder, standInReportsTo } from './mount-check.js';

/**
 * auditkit for Koa 3. Koa sends the response after the middleware chain has settled, and sets the
 * status of a thrown error later still (in its onerror), so completion is taken from the Node
 * response: the status recorded is the one actually sent. The route template comes from @koa/router
 * (`ctx._matchedRoute`, prefixes and nested routers included).
 *
 * @example
 * import Koa from 'koa';
 * import { audit } from '@auditkit/koa';
 * const app = new Koa();
 * app.use(audit());
 */

declare module 'koa' {
  interface DefaultContext {
    /** The audit record of this request: attach meta, name the operator or target, emit events. */
    audit: AuditHandle;
  }
}

export type { AuditHandle, AuditOptions, AuditStats, AuditorControls } from '@auditkit/core';

export interface AuditMiddleware extends Middleware, AuditorControls {}

type RoutedContext = Context & { _matchedRoute?: unknown; params?: object };

/** The status Koa's own onerror will send for a thrown error (koa/lib/context.js). */
function errorStatus(err: unknown, ctx: Context): number {
  if (ctx.headerSent) return ctx.res.statusCode;
  const e = err as { status?: unknown; statusCode?: unknown; code?: unknown } | null;
  let status = e?.status ?? e?.statusCode;
  if (e?.code === 'ENOENT') status = 404;
  return typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 599 ? status : 500;
}

/**
 * With a blocking or strict sink, the record is written after the handlers and before Koa responds.
 * A thrown error is recorded with the status Koa will give it and then rethrown unchanged; if strict
 * mode refuses the response, the app still receives its error through app.emit('error').
 */
async function auditedNext(ctx: Context, next: Next, auditContext: AuditContext<Context>): Promise<void> {
  let failed = false;
  let error: unknown;
  try {
    await next();
  } catch (err) {
    failed = true;
    error = err;
  }
  const facts = completionFacts(ctx as RoutedContext, ctx.res, false);
  facts.statusCode = failed ? errorStatus(error, ctx) : ctx.status;
  const send = await auditContext.beforeSend(facts);
  if (!send) {
    if (failed) ctx.app.emit('error', error, ctx);
    ctx.status = STRICT_REFUSAL.status;
    ctx.set('retry-after', '1');
    ctx.body = STRICT_REFUSAL.body;
    return;
  }
  if (failed) throw error;
}

function completionFacts(ctx: RoutedContext, res: ServerResponse, aborted: boolean): CompletionFacts {
  const matched = ctx._matchedRoute;
  let query: object | undefined;
  try {
    query = ctx.query;
  } catch {
    query = undefined;
  }
  return {
    route: matched === undefined || matched === null ? undefined : String(matched),
    params: ctx.params,
    query,
    body: (ctx.request as { body?: unknown }).body,
    statusCode: res.statusCode,
    aborted,
    headersSent: res.headersSent,
    // Koa keeps the body it sent on the context: handed over only when a record may need it.
    response: (ctx.audit as AuditContext | undefined)?.wantsResponseBody ? responseFacts(ctx.body, (n) => res.getHeader(n)) : undefined,
  };
}

const binding: AdapterBinding<Context> = {
  setHeader(ctx, name, value) {
    if (!ctx.res.headersSent) ctx.res.setHeader(name, value);
  },
  watchCompletion(ctx, auditContext) {
    watchNodeResponse(ctx.res, auditContext, ctx as RoutedContext, completionFacts);
  },
};

/**
 * Koa middleware that audits every change-making request. Put it first: routers mounted before it are
 * reported once (AUDITKIT_NOT_MOUNTED), and their `ctx.audit` is a stand-in that records nothing.
 */
export function audit(options?: AuditOptions): AuditMiddleware {
  const auditor = new Auditor(options);
  standInReportsTo(auditor);
  let checked = false;

  const middleware = function auditkit(ctx: Context, next: Next): Promise<void> | void {
    if (!checked) {
      checked = true;
      checkMountOrder(ctx, middleware, auditor);
    }
    const auditContext = auditor.begin(
      { method: ctx.method, headers: ctx.req.headers, remoteAddress: ctx.req.socket.remoteAddress },
      binding,
      ctx,
    );
    if (auditContext.refused) {
      ctx.status = STRICT_REFUSAL.status;
      ctx.set('retry-after', '1');
      ctx.body = STRICT_REFUSAL.body;
      return;
    }
    ctx.audit = auditContext;
    if (auditor.holdsResponses && auditContext.watching) return auditedNext(ctx, next, auditContext);
    return next();
  };

  return withControls(middleware, auditor);
}

export default audit;
export { auditLog, type AuditLogMiddleware, type AuditLogMiddlewareOptions } from './audit-log.js';
