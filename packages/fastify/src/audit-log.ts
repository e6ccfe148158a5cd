import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import { createAuditLogApi, type AuditLogApiOptions } from '@auditkit/api';
import type { Auditor } from '@auditkit/core';

/**
 * The audit query API as a Fastify plugin (encapsulated, so `prefix` applies): it only translates.
 * Without an `auditor` option it records reads through the auditor of the @auditkit/fastify plugin
 * registered on the same instance. Errors from your `authorize` go to Fastify's error handler.
 *
 * @example
 * await app.register(audit, { sinks: [{ transport: store.transport }] });
 * await app.register(auditLog, { prefix: '/admin/audit', store, authorize: (req) => adminOf(req.raw) });
 */

export type AuditLogPluginOptions = Omit<AuditLogApiOptions, 'auditor'> & { auditor?: AuditLogApiOptions['auditor'] };

// Options Fastify itself passes along with a plugin's own options.
const FASTIFY_REGISTER_OPTIONS = ['prefix', 'logLevel', 'logSerializers'];

export const auditLog: FastifyPluginCallback<AuditLogPluginOptions> = function auditLogApi(fastify, opts, done) {
  const options: Record<string, unknown> = { ...opts };
  for (const key of FASTIFY_REGISTER_OPTIONS) delete options[key];
  if (options.auditor === undefined && fastify.hasDecorator('auditor')) options.auditor = (fastify as unknown as { auditor: Auditor }).auditor;
  let api: ReturnType<typeof createAuditLogApi>;
  try {
    api = createAuditLogApi(options as unknown as AuditLogApiOptions);
  } catch (err) {
    done(err as Error);
    return;
  }
  const prefix = fastify.prefix;

  async function handler(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const url = request.raw.url ?? '/';
    const q = url.indexOf('?');
    const path = (q < 0 ? url : url.slice(0, q)).slice(prefix.length);
    const response = await api({
      method: request.method,
      path: path.length === 0 ? '/' : path,
      query: q < 0 ? '' : url.slice(q + 1),
      headers: request.headers,
      remoteAddress: request.raw.socket?.remoteAddress,
      requestId: (request as Partial<FastifyRequest>).audit?.requestId,
      raw: request,
      url,
    });
    reply.code(response.status).headers(response.headers);
    return reply.send(response.stream ?? response.body ?? '');
  }

  const methods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
  fastify.route({ method: methods, url: '/', handler, exposeHeadRoute: false });
  fastify.route({ method: methods, url: '/*', handler, exposeHeadRoute: false });
  // preClose runs before the server waits for its connections: open live streams must end first.
  fastify.addHook('preClose', (next) => {
    api.close().then(() => next(), next);
  });
  done();
};

export default auditLog;
