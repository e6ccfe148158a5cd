import { pipeline } from 'node:stream';
import type { Context, Middleware, Next } from 'koa';
import { createAuditLogApi, type AuditLogApiOptions } from '@auditkit/api';
import { failOption, type Auditor } from '@auditkit/core';

/**
 * The audit query API as Koa middleware answering under `prefix`: it only translates. Streams are
 * piped to the response by the mount and destroyed when the client goes away. Errors
 * from your `authorize` are thrown to Koa's error handling.
 *
 * @example
 * const audited = audit({ sinks: [{ transport: store.transport }] });
 * app.use(audited);
 * app.use(auditLog({ prefix: '/admin/audit', store, auditor: audited, authorize: (req) => adminOf(req.raw) }));
 */

export type AuditLogMiddlewareOptions = AuditLogApiOptions & {
  /** Where the API answers, e.g. `/admin/audit`. */
  prefix: string;
};

export interface AuditLogMiddleware extends Middleware {
  readonly auditor: Auditor;
  /** Ends open live streams; call it before closing the server. */
  close(): Promise<void>;
}

export function auditLog(options: AuditLogMiddlewareOptions): AuditLogMiddleware {
  const { prefix, ...apiOptions } = options ?? ({} as AuditLogMiddlewareOptions);
  if (typeof prefix !== 'string' || !/^\/[^?#]*[^/?#]$/.test(prefix)) {
    failOption('prefix', `must be a path such as "/admin/audit" (starting with /, not ending with /), got ${JSON.stringify(prefix)}`, "pass auditLog({ prefix: '/admin/audit', ... })");
  }
  const api = createAuditLogApi(apiOptions);

  const middleware = async function auditLogApi(ctx: Context, next: Next): Promise<void> {
    const path = ctx.path;
    if (path !== prefix && !path.startsWith(prefix + '/')) return next();
    const response = await api({
      method: ctx.method,
      path: path.slice(prefix.length) || '/',
      query: ctx.querystring,
      headers: ctx.req.headers,
      remoteAddress: ctx.req.socket.remoteAddress,
      requestId: (ctx as Partial<Context>).audit?.requestId,
      raw: ctx,
      url: ctx.originalUrl,
    });
    ctx.status = response.status;
    ctx.set(response.headers);
    if (response.stream === undefined) {
      ctx.body = response.body ?? '';
      return;
    }
    // A live or export client that leaves is normal, not an application error: Koa would pipe the
    // stream itself and report the premature close on its 'error' event. pipeline still destroys the
    // stream when the client goes away, which stops the store reads.
    ctx.respond = false;
    pipeline(response.stream, ctx.res, () => undefined);
  };
  return Object.defineProperties(middleware, {
    auditor: { value: api.auditor, enumerable: true },
    close: { value: api.close, enumerable: true },
  }) as AuditLogMiddleware;
}
