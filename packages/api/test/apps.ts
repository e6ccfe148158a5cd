import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Auditor, AuditOptions } from '@auditkit/core';
import { audit as expressAudit, auditLog as expressAuditLog } from '@auditkit/express';
import fastifyAudit, { auditLog as fastifyAuditLog } from '@auditkit/fastify';
import { audit as koaAudit, auditLog as koaAuditLog } from '@auditkit/koa';
import type { AuditLogApiOptions } from '@auditkit/api';
import type { AuditStore } from '@auditkit/store';
import bodyParser from '@koa/bodyparser';
import Router from '@koa/router';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';

/**
 * The same small application on Express 5, Fastify 5 and Koa 3: the audit middleware writing to the
 * store, one change-making route (EMQX's own test case, PUT /configs/global_zone), and the query API
 * mounted at /admin/audit. Real frameworks on a real socket on 127.0.0.1.
 */

export type Framework = 'express' | 'fastify' | 'koa';
export const FRAMEWORKS: readonly Framework[] = ['express', 'fastify', 'koa'];

export interface ApiApp {
  framework: Framework;
  url: string;
  auditor: Auditor;
  /** Errors that reached the application's own error handling (e.g. thrown by its authorize). */
  errors: unknown[];
  close(): Promise<void>;
}

export interface ApiAppOptions {
  store: AuditStore;
  authorize: AuditLogApiOptions['authorize'];
  /** Options of the audit middleware; by default it writes to the store in blocking mode, so a response means its record is in. */
  audit?: AuditOptions;
  api?: Omit<AuditLogApiOptions, 'store' | 'authorize' | 'auditor'>;
}

/** `authorize` for tests: the viewer named by the x-viewer header, scoped by x-scope (JSON); 403 for x-viewer: mallory. */
export function headerAuthorize(request: { headers: http.IncomingHttpHeaders }): { viewer: string; scope?: Record<string, string> } | false {
  const viewer = request.headers['x-viewer'];
  if (typeof viewer !== 'string') return false;
  if (viewer === 'mallory') throw Object.assign(new Error('not an auditor'), { status: 403 });
  const scope = request.headers['x-scope'];
  return typeof scope === 'string' ? { viewer, scope: JSON.parse(scope) as Record<string, string> } : { viewer };
}

function auditOptions(options: ApiAppOptions): AuditOptions {
  return options.audit ?? { node: 'node-t', sinks: [{ transport: options.store.transport, mode: 'blocking' }] };
}

async function listen(server: http.Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Listens, and closes in the order an application must: the mount's live streams, the server, the auditor. */
async function serve(
  framework: Framework,
  server: http.Server,
  mount: { close(): Promise<void> },
  audited: { auditor: Auditor; close(): Promise<void> },
  errors: unknown[],
): Promise<ApiApp> {
  const url = await listen(server);
  return {
    framework,
    url,
    auditor: audited.auditor,
    errors,
    close: async () => {
      await mount.close();
      await closeServer(server);
      await audited.close();
    },
  };
}

export async function startApiApp(framework: Framework, options: ApiAppOptions): Promise<ApiApp> {
  const mountOptions = { store: options.store, authorize: options.authorize, ...options.api };
  const errors: unknown[] = [];
  if (framework === 'express') {
    const audited = expressAudit(auditOptions(options));
    const app = express();
    app.use(audited);
    app.use(express.json());
    app.put('/configs/global_zone', (req, res) => {
      res.json({ mqtt: (req.body as { mqtt?: unknown }).mqtt });
    });
    const mount = expressAuditLog({ ...mountOptions, auditor: audited });
    app.use('/admin/audit', mount);
    app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      errors.push(err);
      res.status(500).json({ error: 'internal' });
    });
    return serve(framework, http.createServer(app), mount, audited, errors);
  }
  if (framework === 'fastify') {
    const app = Fastify();
    app.setErrorHandler((err, _request, reply) => {
      errors.push(err);
      void reply.code(500).send({ error: 'internal' });
    });
    await app.register(fastifyAudit, auditOptions(options));
    app.put('/configs/global_zone', async (request) => ({ mqtt: (request.body as { mqtt?: unknown }).mqtt }));
    await app.register(fastifyAuditLog, { prefix: '/admin/audit', ...mountOptions });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address() as AddressInfo;
    return {
      framework,
      url: `http://127.0.0.1:${address.port}`,
      auditor: app.auditor,
      errors,
      close: () => app.close(),
    };
  }
  const audited = koaAudit(auditOptions(options));
  const app = new Koa();
  app.silent = true;
  app.on('error', (err: unknown) => errors.push(err));
  app.use(audited);
  app.use(bodyParser());
  const router = new Router();
  router.put('/configs/global_zone', (ctx) => {
    ctx.body = { mqtt: (ctx.request.body as { mqtt?: unknown }).mqtt };
  });
  const mount = koaAuditLog({ prefix: '/admin/audit', ...mountOptions, auditor: audited });
  app.use(mount);
  app.use(router.routes());
  return serve(framework, http.createServer(app.callback()), mount, audited, errors);
}
