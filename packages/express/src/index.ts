import type { ServerResponse } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import {
  Auditor,
  STRICT_REFUSAL,
  responseFacts,
  watchNodeResponse,
  withControls,
  type AuditorControls,
  type AdapterBinding,
  type AuditHandle,
  type AuditOptions,
  type AuditContext,
  type CompletionFacts,
} from '@auditkit/core';
import { holdResponse } from './hold-response.js';
import { checkMountOrder, standInReportsTo } from './mount-check.js';
import { matchedRoute } from './route-template.js';

/**
 * auditkit for Express 5. Translates Express's request into the core's facts; completion comes from
 * the Node response (see watchNodeResponse in the core).
 *
 * @example
 * import express from 'express';
 * import { audit } from '@auditkit/express';
 * const app = express();
 * app.use(audit());
 * app.use(express.json());
 */

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The audit record of this request: attach meta, name the operator or target, emit events. */
      audit: AuditHandle;
    }
  }
}

export type { AuditHandle, AuditOptions, AuditStats, AuditorControls } from '@auditkit/core';

export interface AuditMiddleware extends RequestHandler, AuditorControls {}

function refuse(res: ServerResponse): void {
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  res.statusCode = STRICT_REFUSAL.status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('retry-after', '1');
  res.end(JSON.stringify(STRICT_REFUSAL.body));
}

const kSent = Symbol('auditkit.sent');
type SentResponse = Response & { [kSent]?: unknown };

/**
 * Keeps what the handler answers through res.send (res.json and res.send of objects end there, already
 * serialised), for a record made at level request-response. Only on a request the core says may need it.
 */
function keepSentBody(res: Response): void {
  const send = res.send;
  res.send = function send_(this: SentResponse, body?: unknown) {
    this[kSent] = body;
    return send.call(this, body);
  } as Response['send'];
}

function completionFacts(req: Request, res: ServerResponse, aborted: boolean): CompletionFacts {
  const route = matchedRoute(req);
  let query: object | undefined;
  try {
    // Express 5 parses req.query on each access; a custom parser may throw on hostile input.
    query = req.query;
  } catch {
    query = undefined;
  }
  return {
    route: route?.template,
    params: route?.params,
    query,
    body: req.body,
    statusCode: res.statusCode,
    aborted,
    headersSent: res.headersSent,
    response: (req.audit as AuditContext | undefined)?.wantsResponseBody ? responseFacts((res as SentResponse)[kSent], (n) => res.getHeader(n)) : undefined,
  };
}

const binding: AdapterBinding<Request> = {
  setHeader(req, name, value) {
    const res = req.res;
    if (res && !res.headersSent) res.setHeader(name, value);
  },
  watchCompletion(req, ctx) {
    if (req.res) watchNodeResponse(req.res, ctx, req, completionFacts);
  },
};

/**
 * Express middleware that audits every change-making request. Mount it first: routes mounted before
 * it are reported once (AUDITKIT_NOT_MOUNTED), and their `req.audit` is a stand-in that records nothing.
 */
export function audit(options?: AuditOptions): AuditMiddleware {
  const auditor = new Auditor(options);
  standInReportsTo(auditor);
  let checked = false;

  const middleware = function auditkit(req: Request, res: Response, next: NextFunction): void {
    if (!checked) {
      checked = true;
      checkMountOrder(req, middleware, auditor);
    }
    const ctx = auditor.begin({ method: req.method, headers: req.headers, remoteAddress: req.socket.remoteAddress }, binding, req);
    if (ctx.refused) {
      res.status(STRICT_REFUSAL.status).set('retry-after', '1').json(STRICT_REFUSAL.body);
      return;
    }
    req.audit = ctx;
    if (ctx.wantsResponseBody) keepSentBody(res);
    // A blocking or strict sink: the response goes out only once its record is written.
    if (auditor.holdsResponses && ctx.watching) {
      holdResponse(res, () => ctx.beforeSend(completionFacts(req, res, false)), refuse);
    }
    next();
  };

  return withControls(middleware, auditor);
}

export default audit;
export { auditLog, type AuditLogApiOptions, type AuditLogRouter } from './audit-log.js';
