import bodyParser from '@koa/bodyparser';
import Router from '@koa/router';
import Koa from 'koa';
import { audit, type AuditOptions } from '@auditkit/koa';

/** The same team-management API on Koa 3 with @koa/router. */
export function createApp(options: AuditOptions = {}) {
  const app = new Koa();
  const auditMiddleware = audit(options);
  app.use(auditMiddleware);
  app.use(bodyParser());

  const users = new Router({ prefix: '/orgs/:orgId/users' });
  users.post('/', (ctx) => {
    const id = 'u-' + Math.random().toString(36).slice(2, 8);
    ctx.audit.target({ type: 'user', id, name: (ctx.request.body as { name?: string })?.name });
    ctx.status = 201;
    ctx.body = { id };
  });
  users.patch('/:id/role', (ctx) => {
    const body = ctx.request.body as { role?: string; reason?: string };
    ctx.audit
      .target({ type: 'user', id: ctx.params.id })
      .meta({ reason: body?.reason })
      .event('user.role_changed', { meta: { to: body?.role } });
    ctx.body = { ok: true };
  });
  users.get('/', (ctx) => {
    ctx.body = [];
  });
  users.delete('/:id', (ctx) => {
    ctx.audit.target({ type: 'user', id: ctx.params.id });
    ctx.status = 204;
  });

  const root = new Router();
  root.post('/session', (ctx) => {
    ctx.audit.operator(String((ctx.request.body as { user?: string })?.user ?? 'unknown'), { verified: false });
    ctx.status = 401;
    ctx.body = { error: 'invalid credentials' };
  });
  root.get('/health', (ctx) => {
    ctx.body = { ok: true };
  });

  app.use(users.routes());
  app.use(root.routes());
  return { app, audit: auditMiddleware };
}
