import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Auditor, AuditHandle, AuditOptions } from '@auditkit/core';
import { audit as expressAudit } from '@auditkit/express';
import fastifyAudit from '@auditkit/fastify';
import { audit as koaAudit } from '@auditkit/koa';
import bodyParser from '@koa/bodyparser';
import Router from '@koa/router';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';

/**
 * The same application written three times: identical routes, handlers and responses on Express 5,
 * Fastify 5 and Koa 3, each audited by its own adapter with the same options. Real frameworks and a
 * real HTTP server on 127.0.0.1; nothing is mocked.
 */

export type Framework = 'express' | 'fastify' | 'koa';
export const FRAMEWORKS: readonly Framework[] = ['express', 'fastify', 'koa'];

/** What the handlers saw, for asserting that auditing changed nothing for the application. */
export interface Observed {
  /** Handler invocations by route name. */
  calls: Record<string, number>;
  /** Errors the application's own error handling received. */
  errors: unknown[];
  /** Errors the handlers threw, to compare identities. */
  thrown: unknown[];
  /** Bodies /echo received, to check auditing never altered them. */
  bodies: unknown[];
}

export interface RunningApp {
  framework: Framework;
  url: string;
  server: http.Server;
  auditor: Auditor;
  observed: Observed;
  /** Closes the server, then the auditor (every accepted record is written when this resolves). */
  close(): Promise<void>;
}

export interface AppOptions {
  audit?: AuditOptions;
  server?: http.ServerOptions;
}

/** The behaviour behind every route, shared by the three apps. */
interface Outcome {
  status: number;
  body?: unknown;
}

function count(observed: Observed, name: string): void {
  observed.calls[name] = (observed.calls[name] ?? 0) + 1;
}

export class TeapotError extends Error {
  readonly status = 418;
  readonly statusCode = 418;
  readonly expose = true;
  constructor() {
    super("I'm a teapot");
    this.name = 'TeapotError';
  }
}

interface Call {
  params: Record<string, string>;
  audit: AuditHandle;
  body: unknown;
  observed: Observed;
}

/** Handlers in framework-neutral form. */
const handlers = {
  createUser: ({ params: p }: Call): Outcome => ({ status: 201, body: { id: p.id, created: true } }),
  readUser: ({ params: p }: Call): Outcome => ({ status: 200, body: { id: p.id } }),
  readReport: ({ params: p }: Call): Outcome => ({ status: 200, body: { report: p.id } }),
  deleteOrgUser: (): Outcome => ({ status: 204 }),
  putMember: ({ params: p }: Call): Outcome => ({ status: 200, body: { member: p.memberId } }),
  ok: (): Outcome => ({ status: 200, body: { ok: true } }),
  echo: ({ body, observed }: Call): Outcome => {
    observed.bodies.push(body);
    return { status: 200, body: { ok: true } };
  },
  status: ({ params: p }: Call): Outcome => ({ status: Number(p.code), body: { code: Number(p.code) } }),
  annotated: ({ params: p, audit: a }: Call): Outcome => {
    a.meta({ reason: 'quarterly review', password: 'hunter2' })
      .operator('admin@example.com')
      .target({ type: 'user', id: p.id, name: 'Ada' })
      .event('user.role_changed', { meta: { from: 'viewer', to: 'admin' } });
    return { status: 200, body: { ok: true } };
  },
  cyclic: ({ audit: a }: Call): Outcome => {
    const m: Record<string, unknown> = { name: 'loop' };
    m.self = m;
    a.meta({ m, big: 10n, when: new Date(0), fn: () => 1 });
    return { status: 200, body: { ok: true } };
  },
  readWithEvent: ({ audit: a }: Call): Outcome => {
    a.event('secret.read', { target: { type: 'secret', id: 'db-password' } });
    return { status: 200, body: { ok: true } };
  },
  failedLogin: ({ audit: a }: Call): Outcome => {
    a.operator('mallory', { verified: false });
    return { status: 401, body: { error: 'bad credentials' } };
  },
  changeRole: ({ params: p, body, audit: a }: Call): Outcome => {
    const role = (body as { role?: unknown } | undefined)?.role;
    a.target({ type: 'user', id: p.id }).change({ id: p.id, role: 'member', apiKey: 'ak_old_1' }, { id: p.id, role: typeof role === 'string' ? role : 'admin', apiKey: 'ak_new_2' });
    return { status: 200, body: { ok: true } };
  },
  skipMe: ({ audit: a }: Call): Outcome => {
    a.skip();
    return { status: 200, body: { ok: true } };
  },
};

type HandlerName = keyof typeof handlers;

/** Routes shared by all apps: method, path relative to its mount, handler. */
const FLAT_ROUTES: Array<[string, string, HandlerName]> = [
  ['post', '/api/users/:id', 'createUser'],
  ['get', '/api/users/:id', 'readUser'],
  ['get', '/reports/:id', 'readReport'],
  ['post', '/health', 'ok'],
  ['post', '/internal/sync', 'ok'],
  ['post', '/status/:code', 'status'],
  ['post', '/annotated/:id', 'annotated'],
  ['post', '/cyclic', 'cyclic'],
  ['get', '/secrets/:id', 'readWithEvent'],
  ['post', '/login', 'failedLogin'],
  ['post', '/echo', 'echo'],
  ['post', '/quiet', 'skipMe'],
  ['patch', '/api/users/:id/role', 'changeRole'],
];

/** Throws synchronously from the handler; the framework turns it into a 500 (or the error's status). */
function throwingHandler(observed: Observed, teapot: boolean): never {
  const err = teapot ? new TeapotError() : new Error('boom');
  observed.thrown.push(err);
  throw err;
}

function waitForAbort(req: http.IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 2000);
    req.socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Serves a request handler on 127.0.0.1 and returns the running app; closing stops the server, then the auditor. */
async function serve(
  framework: Framework,
  handler: http.RequestListener,
  options: AppOptions,
  observed: Observed,
  middleware: { auditor: Auditor; close(): Promise<void> },
): Promise<RunningApp> {
  const server = http.createServer(options.server ?? {}, handler);
  const url = await listen(server);
  return {
    framework,
    url,
    server,
    auditor: middleware.auditor,
    observed,
    close: async () => {
      await closeServer(server);
      await middleware.close();
    },
  };
}

async function listen(server: http.Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function startApp(framework: Framework, options: AppOptions = {}): Promise<RunningApp> {
  const observed: Observed = { calls: {}, errors: [], thrown: [], bodies: [] };
  if (framework === 'express') return startExpress(options, observed);
  if (framework === 'fastify') return startFastify(options, observed);
  return startKoa(options, observed);
}

async function startExpress(options: AppOptions, observed: Observed): Promise<RunningApp> {
  const app = express();
  app.set('env', 'test');
  const middleware = expressAudit(options.audit);
  app.use(middleware);
  app.use(express.json({ limit: '1mb' }));
  app.use(express.urlencoded({ extended: false }));
  app.use(express.text());

  const send = (res: express.Response, o: Outcome): void => {
    if (o.body === undefined) res.status(o.status).end();
    else res.status(o.status).json(o.body);
  };
  const orgs = express.Router();
  orgs.delete('/users/:id', (req, res) => {
    count(observed, 'deleteOrgUser');
    send(res, handlers.deleteOrgUser());
  });
  const teams = express.Router();
  teams.put('/members/:memberId', (req, res) => {
    count(observed, 'putMember');
    send(res, handlers.putMember({ params: req.params as Record<string, string>, audit: req.audit, body: req.body, observed }));
  });
  orgs.use('/teams/:teamId', teams);
  app.use('/orgs/:orgId', orgs);

  for (const [method, path, name] of FLAT_ROUTES) {
    app[method as 'post'](path, (req, res) => {
      count(observed, name);
      send(res, handlers[name]({ params: req.params as Record<string, string>, audit: req.audit, body: req.body, observed }));
    });
  }
  app.post('/throw', () => throwingHandler(observed, false));
  app.post('/throw-teapot', () => throwingHandler(observed, true));
  app.post('/slow', async (req, res) => {
    count(observed, 'slow');
    await waitForAbort(req);
    if (!res.writableEnded && !res.destroyed) res.status(200).json({ late: true });
  });
  app.use((err: unknown, _req: express.Request, _res: express.Response, next: express.NextFunction) => {
    observed.errors.push(err);
    next(err);
  });

  return serve('express', app, options, observed, middleware);
}

async function startFastify(options: AppOptions, observed: Observed): Promise<RunningApp> {
  let server!: http.Server;
  const app = Fastify({
    bodyLimit: 1024 * 1024,
    serverFactory: (handler) => {
      server = http.createServer(options.server ?? {}, handler);
      return server;
    },
  });
  await app.register(fastifyAudit, options.audit ?? {});
  // Fastify parses JSON and text/plain itself; forms need a parser (as @fastify/formbody would add).
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  await app.register(
    async (orgs) => {
      orgs.delete('/users/:id', async (req, reply) => {
        count(observed, 'deleteOrgUser');
        return reply.code(204).send();
      });
      await orgs.register(
        async (teams) => {
          teams.put('/members/:memberId', async (req, reply) => {
            count(observed, 'putMember');
            const o = handlers.putMember({ params: req.params as Record<string, string>, audit: req.audit, body: req.body, observed });
            return reply.code(o.status).send(o.body);
          });
        },
        { prefix: '/teams/:teamId' },
      );
    },
    { prefix: '/orgs/:orgId' },
  );

  for (const [method, path, name] of FLAT_ROUTES) {
    app.route({
      method: method.toUpperCase() as 'POST',
      url: path,
      handler: async (req, reply) => {
        count(observed, name);
        const o = handlers[name]({ params: req.params as Record<string, string>, audit: req.audit, body: req.body, observed });
        return o.body === undefined ? reply.code(o.status).send() : reply.code(o.status).send(o.body);
      },
    });
  }
  app.post('/throw', async () => throwingHandler(observed, false));
  app.post('/throw-teapot', async () => throwingHandler(observed, true));
  app.post('/slow', async (req, reply) => {
    count(observed, 'slow');
    await waitForAbort(req.raw);
    if (!reply.raw.destroyed) return reply.code(200).send({ late: true });
    return reply;
  });
  app.setErrorHandler((err: Error, _req, reply) => {
    observed.errors.push(err);
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    return reply.code(status >= 400 ? status : 500).send({ error: status < 500 ? err.message : 'Internal Server Error' });
  });

  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = server.address() as AddressInfo;
  return {
    framework: 'fastify',
    url: `http://127.0.0.1:${port}`,
    server,
    auditor: app.auditor,
    observed,
    close: async () => {
      server.closeAllConnections();
      await app.close();
    },
  };
}

async function startKoa(options: AppOptions, observed: Observed): Promise<RunningApp> {
  const app = new Koa();
  app.silent = true;
  app.on('error', (err) => observed.errors.push(err));
  const middleware = koaAudit(options.audit);
  app.use(middleware);
  app.use(bodyParser({ enableTypes: ['json', 'form', 'text'], jsonLimit: '1mb' }));

  const send = (ctx: Koa.Context, o: Outcome): void => {
    ctx.status = o.status;
    if (o.body !== undefined) ctx.body = o.body;
  };
  const router = new Router();
  const orgs = new Router({ prefix: '/orgs/:orgId' });
  orgs.delete('/users/:id', (ctx) => {
    count(observed, 'deleteOrgUser');
    send(ctx, handlers.deleteOrgUser());
  });
  const teams = new Router();
  teams.put('/members/:memberId', (ctx) => {
    count(observed, 'putMember');
    send(ctx, handlers.putMember({ params: ctx.params as Record<string, string>, audit: ctx.audit, body: ctx.request.body, observed }));
  });
  orgs.use('/teams/:teamId', teams.routes());

  for (const [method, path, name] of FLAT_ROUTES) {
    router[method as 'post'](path, (ctx) => {
      count(observed, name);
      send(ctx, handlers[name]({ params: ctx.params as Record<string, string>, audit: ctx.audit, body: ctx.request.body, observed }));
    });
  }
  router.post('/throw', () => throwingHandler(observed, false));
  router.post('/throw-teapot', () => throwingHandler(observed, true));
  router.post('/slow', async (ctx) => {
    count(observed, 'slow');
    await waitForAbort(ctx.req);
    if (!ctx.res.destroyed) send(ctx, { status: 200, body: { late: true } });
  });
  app.use(orgs.routes());
  app.use(router.routes());

  return serve('koa', app.callback(), options, observed, middleware);
}
