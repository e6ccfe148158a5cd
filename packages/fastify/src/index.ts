import type { ServerResponse } from 'node:http';
import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import {
  Auditor,
  STRICT_REFUSAL,
  checkRouteSetting,
  responseFacts,
  watchNodeResponse,
  type AdapterBinding,
  type AuditContext,
  type AuditHandle,
  type AuditOptions,
  type CompletionFacts,
  type RouteAuditSetting,
} from '@auditkit/core';

/**
 * auditkit for Fastify 5, wrapped with fastify-plugin so its hook covers the whole application.
 * Fastify knows the route template (`routeOptions.url`, prefixes included) and the route's config at
 * `onRequest`, so a request no rule can audit costs one method check (when auditkit is registered
 * before the routes, it learns from `onRoute` which ones carry their own `config.audit`; routes
 * registered earlier, in plugins or not, are audited too). Completion is read from the raw response,
 * as in the other adapters: Fastify's own onRequestAbort misses a client that leaves after its body
 * has arrived.
 *
 * @example
 * import Fastify from 'fastify';
 * import audit from '@auditkit/fastify';
 * const app = Fastify();
 * await app.register(audit);
 * app.delete('/users/:id', { config: { audit: { operationType: 'users' } } }, handler);
 */

declare module 'fastify' {
  interface FastifyRequest {
    /** The audit record of this request: attach meta, name the operator or target, emit events. */
    readonly audit: AuditHandle;
  }
  interface FastifyContextConfig {
    /** true/false to force auditing on or off for this route, or `{ audit, operationType, level }`. */
    audit?: RouteAuditSetting;
  }
  interface FastifyInstance {
    /** The core auditor: `stats()`, `on('fault', ...)`. Closed by `fastify.close()`. */
    readonly auditor: Auditor;
  }
}

export type { AuditHandle, AuditOptions, RouteAuditSetting } from '@auditkit/core';

const kContext = Symbol('auditkit.context');
const kReply = Symbol('auditkit.reply');
const kRoute = Symbol('auditkit.route');
const kPayload = Symbol('auditkit.payload');

interface RouteFacts {
  url: string | undefined;
  setting: RouteAuditSetting | undefined;
}

type AuditedRequest = FastifyRequest & {
  [kContext]: AuditContext<FastifyReply> | null | undefined;
  [kReply]: FastifyReply | null | undefined;
  [kRoute]: RouteFacts | null | undefined;
  [kPayload]: unknown;
};

/**
 * The route's template and audit setting, read once per request: `request.routeOptions` builds a
 * fresh object on every access. The slots are read with `== null`: a plugin registered before
 * auditkit built its request class then, without auditkit's decorated slots (Fastify copies value
 * decorators into each context's class when the context is created), so there they start undefined.
 */
function routeOf(request: FastifyRequest): RouteFacts {
  const req = request as AuditedRequest;
  if (req[kRoute] == null) {
    const options = request.routeOptions;
    req[kRoute] = { url: options.url, setting: options.config?.audit };
  }
  return req[kRoute]!;
}

// Options Fastify itself passes along with a plugin's own options.
const FASTIFY_REGISTER_OPTIONS = ['prefix', 'logLevel', 'logSerializers'];

function startFacts(request: FastifyRequest) {
  const route = routeOf(request);
  return {
    method: request.method,
    headers: request.headers,
    remoteAddress: request.raw.socket?.remoteAddress,
    route: route.url,
    routeSetting: route.setting,
  };
}

function completionFacts(reply: FastifyReply, res: ServerResponse, aborted: boolean, statusCode = res.statusCode): CompletionFacts {
  const request = reply.request;
  const route = routeOf(request);
  return {
    route: route.url,
    routeSetting: route.setting,
    params: request.params as object | undefined,
    query: request.query as object | undefined,
    body: request.body,
    statusCode,
    aborted,
    headersSent: res.headersSent,
    path: request.url,
    response: (request as AuditedRequest)[kContext]?.wantsResponseBody ? responseFacts((request as AuditedRequest)[kPayload], (n) => reply.getHeader(n)) : undefined,
  };
}

/** Keeps the payload about to be sent (serialised), for a record made at level request-response. */
function keepPayload(request: FastifyRequest, _reply: FastifyReply, payload: unknown, done: (err: null, payload: unknown) => void): void {
  const req = request as AuditedRequest;
  if (req[kContext]?.wantsResponseBody) req[kPayload] = payload;
  done(null, payload);
}

const binding: AdapterBinding<FastifyReply> = {
  setHeader(reply, name, value) {
    if (reply && !reply.sent && !reply.raw.headersSent) reply.header(name, value);
  },
  watchCompletion(reply, ctx) {
    if (reply) watchNodeResponse(reply.raw, ctx, reply, completionFacts);
  },
};

const plugin: FastifyPluginCallback<AuditOptions> = function auditkit(fastify, opts, done) {
  const options: Record<string, unknown> = { ...opts };
  for (const key of FASTIFY_REGISTER_OPTIONS) delete options[key];
  let auditor: Auditor;
  try {
    auditor = new Auditor(options as AuditOptions);
  } catch (err) {
    // A callback plugin reports failure through done(); a throw here would escape Fastify's boot.
    done(err as Error);
    return;
  }

  // Whether some route's own config may switch auditing on. Routes registered before this plugin
  // cannot be seen, so then every request reads its route's config. Their requests still pass through
  // the hooks below: Fastify adds a hook to every child context that already exists.
  let routeSettings = fastify.printRoutes() !== '(empty tree)';
  const policy = auditor.options.policy;
  fastify.addHook('onRoute', (route) => {
    // Checked as options are: `audit: 'yes'` would otherwise be taken and do nothing. Throwing here
    // makes the route's registration fail, naming the route.
    const label = Array.isArray(route.method) ? route.method.join(',') : route.method;
    const setting = checkRouteSetting(route.config?.audit, `route "${label} ${route.url}" config.audit`);
    if (setting !== undefined) routeSettings = true;
    // Only the routes whose records may hold the response body keep it: a route-level onSend hook.
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!methods.some((m) => policy.mayRecordResponse(m, setting, route.url))) return;
    const own = route.onSend === undefined ? [] : Array.isArray(route.onSend) ? route.onSend : [route.onSend];
    route.onSend = [keepPayload as never, ...own];
  });

  fastify.decorate('auditor', auditor);
  fastify.decorateRequest(kContext, null);
  fastify.decorateRequest(kReply, null);
  fastify.decorateRequest(kRoute, null);
  fastify.decorateRequest(kPayload, null);
  fastify.decorateRequest('audit', {
    getter(this: FastifyRequest): AuditHandle {
      const req = this as AuditedRequest;
      // Skipped requests (GET by default) get their context only if the handler asks for it.
      return (req[kContext] ??= auditor.begin(startFacts(this), binding, req[kReply]!));
    },
  });

  fastify.addHook('onRequest', function auditOnRequest(request, reply, next) {
    const req = request as AuditedRequest;
    req[kReply] = reply;
    // A skipped method (GET by default) on a route without its own setting costs this one check.
    if (!routeSettings && !policy.mayAudit(request.method, undefined)) return next();
    const start = startFacts(request);
    if (!policy.mayAudit(request.method, start.routeSetting)) return next();
    const ctx = auditor.begin(start, binding, reply);
    if (ctx.refused) {
      // Answering from the hook ends the chain: the handler never runs (Vault's fail-closed).
      reply.code(STRICT_REFUSAL.status).header('retry-after', '1').send(STRICT_REFUSAL.body);
      return;
    }
    req[kContext] = ctx;
    next();
  });

  if (auditor.holdsResponses) {
    // A blocking or strict sink: onSend runs after the handler (and any error handler) and before the
    // bytes go out, so the record is written first and strict mode can still answer 503.
    fastify.addHook('onSend', async function auditOnSend(request, reply, payload) {
      const ctx = (request as AuditedRequest)[kContext];
      if (!ctx || !ctx.watching || ctx.done) return payload;
      // Route-level hooks run after this one: keep the payload here for a record that needs it.
      if (ctx.wantsResponseBody) (request as AuditedRequest)[kPayload] = payload;
      const send = await ctx.beforeSend(completionFacts(reply, reply.raw, false, reply.statusCode));
      if (send) return payload;
      reply.code(STRICT_REFUSAL.status).header('content-type', 'application/json; charset=utf-8').header('retry-after', '1');
      return JSON.stringify(STRICT_REFUSAL.body);
    });
  }

  fastify.addHook('onClose', function auditOnClose(_instance, next) {
    auditor.close().then(() => next(), next);
  });

  done();
};

/** The Fastify plugin. `await app.register(audit, options)`. */
export const audit = fp(plugin, { name: '@auditkit/fastify', fastify: '5.x' });
export default audit;
export { auditLog, type AuditLogPluginOptions } from './audit-log.js';
