import { pipeline } from 'node:stream';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { createAuditLogApi, type ApiResponse, type AuditLogApiOptions } from '@auditkit/api';
import type { Auditor } from '@auditkit/core';

/**
 * The audit query API as an Express router: it only translates. The request becomes the API's plain
 * request (path below the mount, the raw query string, headers, peer address) and the answer is
 * written back, streams piped with backpressure. Errors from your `authorize` go to `next(err)`.
 *
 * @example
 * const audited = audit({ sinks: [{ transport: store.transport }] });
 * app.use(audited);
 * app.use('/admin/audit', auditLog({ store, auditor: audited, authorize: (req) => adminOf(req.raw) }));
 */

export type { AuditLogApiOptions } from '@auditkit/api';

export interface AuditLogRouter extends Router {
  readonly auditor: Auditor;
  /** Ends open live streams; call it before closing the server. */
  close(): Promise<void>;
}

export function auditLog(options: AuditLogApiOptions): AuditLogRouter {
  const api = createAuditLogApi(options);
  const router = Router();
  router.use(function auditLogApi(req: Request, res: Response, next: NextFunction): void {
    const url = req.url;
    const q = url.indexOf('?');
    api({
      method: req.method,
      path: q < 0 ? url : url.slice(0, q),
      query: q < 0 ? '' : url.slice(q + 1),
      headers: req.headers,
      remoteAddress: req.socket.remoteAddress,
      requestId: (req as Partial<Request>).audit?.requestId,
      raw: req,
      url: req.originalUrl,
    }).then((response) => send(res, response), next);
  });
  return Object.defineProperties(router, {
    auditor: { value: api.auditor, enumerable: true },
    close: { value: api.close, enumerable: true },
  }) as AuditLogRouter;
}

function send(res: Response, response: ApiResponse): void {
  res.status(response.status);
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value);
  if (response.stream === undefined) {
    res.end(response.body ?? '');
    return;
  }
  // pipeline destroys the stream when the client goes away, which stops the store reads.
  pipeline(response.stream, res, () => undefined);
}
