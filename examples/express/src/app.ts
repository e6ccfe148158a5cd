import express from 'express';
import { audit, type AuditOptions } from '@auditkit/express';

/**
 * A small team-management API. One line (`app.use(audit())`) audits every change-making call;
 * handlers add what only they know: the target, the reason, a second event.
 */
export function createApp(options: AuditOptions = {}) {
  const app = express();
  const auditMiddleware = audit(options);
  app.use(auditMiddleware);
  app.use(express.json());

  const users = express.Router({ mergeParams: true });
  users.post('/', (req, res) => {
    const id = 'u-' + Math.random().toString(36).slice(2, 8);
    req.audit.target({ type: 'user', id, name: req.body?.name });
    res.status(201).json({ id });
  });
  users.patch('/:id/role', (req, res) => {
    req.audit
      .target({ type: 'user', id: req.params.id })
      .meta({ reason: req.body?.reason })
      .event('user.role_changed', { meta: { to: req.body?.role } });
    res.json({ ok: true });
  });
  users.delete('/:id', (req, res) => {
    req.audit.target({ type: 'user', id: req.params.id });
    res.sendStatus(204);
  });
  users.get('/', (_req, res) => {
    res.json([]);
  });
  app.use('/orgs/:orgId/users', users);

  app.post('/session', (req, res) => {
    // A failed login: the operator is who they claimed to be, and the record says it was not verified.
    req.audit.operator(String(req.body?.user ?? 'unknown'), { verified: false });
    res.status(401).json({ error: 'invalid credentials' });
  });

  app.get('/health', (_req, res) => {
    res.json({ ok: true });
  });

  return { app, audit: auditMiddleware };
}
