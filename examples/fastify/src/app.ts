import Fastify from 'fastify';
import audit, { type AuditOptions } from '@auditkit/fastify';

/** The same team-management API on Fastify: the plugin audits, routes can opt in or out in config. */
export async function createApp(options: AuditOptions = {}) {
  const app = Fastify();
  await app.register(audit, options);

  await app.register(
    async (users) => {
      users.post('/', async (req, reply) => {
        const id = 'u-' + Math.random().toString(36).slice(2, 8);
        req.audit.target({ type: 'user', id, name: (req.body as { name?: string })?.name });
        return reply.code(201).send({ id });
      });
      users.patch<{ Params: { id: string }; Body: { role?: string; reason?: string } }>('/:id/role', async (req) => {
        req.audit
          .target({ type: 'user', id: req.params.id })
          .meta({ reason: req.body?.reason })
          .event('user.role_changed', { meta: { to: req.body?.role } });
        return { ok: true };
      });
      users.delete<{ Params: { id: string } }>('/:id', async (req, reply) => {
        req.audit.target({ type: 'user', id: req.params.id });
        return reply.code(204).send();
      });
      users.get('/', async () => []);
      // An export is a read, but auditors want to know who pulled the data.
      users.get('/export', { config: { audit: true } }, async () => []);
    },
    { prefix: '/orgs/:orgId/users' },
  );

  app.post('/session', async (req, reply) => {
    req.audit.operator(String((req.body as { user?: string })?.user ?? 'unknown'), { verified: false });
    return reply.code(401).send({ error: 'invalid credentials' });
  });

  app.get('/health', async () => ({ ok: true }));
  return app;
}
