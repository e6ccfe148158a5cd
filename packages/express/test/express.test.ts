import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import express from 'express';
import request from 'supertest';
import { audit } from '../src/index.js';
import defaultAudit from '../src/index.js';

function setup() {
  const file = join(mkdtempSync(join(tmpdir(), 'auditkit-express-')), 'audit.log');
  const app = express();
  const middleware = audit({ file });
  app.use(middleware);
  app.use(express.json());
  const records = async () => {
    await middleware.close();
    return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  };
  return { app, middleware, records };
}

const ok = (_req: express.Request, res: express.Response) => void res.status(200).json({ ok: true });

describe('Express route templates', () => {
  it('include the mount pattern of a sub-application', async () => {
    const { app, records } = setup();
    const admin = express();
    admin.post('/users/:id', ok);
    app.use('/admin/:tenant', admin);
    await request(app).post('/admin/acme/users/9').send({});
    const [r] = await records();
    assert.equal(r.operation_id, '/admin/:tenant/users/:id');
    assert.deepEqual(r.bindings, { tenant: 'acme', id: '9' });
  });

  it('tell apart a router mounted at two prefixes, and a route with two paths', async () => {
    const { app, records } = setup();
    const router = express.Router();
    router.post('/items/:id', ok);
    app.use('/v1', router);
    app.use('/v2/:region', router);
    app.post(['/a/:x', '/b/:y'], ok);
    await request(app).post('/v1/items/1').send({});
    await request(app).post('/v2/eu/items/2').send({});
    await request(app).post('/b/3').send({});
    const rs = await records();
    assert.deepEqual(rs.map((r) => r.operation_id), ['/v1/items/:id', '/v2/:region/items/:id', '/b/:y']);
    assert.deepEqual(rs[1].bindings, { region: 'eu', id: '2' });
    assert.deepEqual(rs[2].bindings, { y: '3' });
  });

  it('find routes added after the first request, and app.route() chains', async () => {
    const { app, records } = setup();
    app.post('/first', ok);
    await request(app).post('/first').send({});
    app.route('/late/:id').put(ok).patch(ok);
    await request(app).put('/late/1').send({});
    await request(app).patch('/late/2').send({});
    assert.deepEqual((await records()).map((r) => [r.operation_id, r.http_method]), [
      ['/first', 'post'],
      ['/late/:id', 'put'],
      ['/late/:id', 'patch'],
    ]);
  });

  it('work when the middleware is mounted under a path', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'auditkit-express-')), 'audit.log');
    const app = express();
    const middleware = audit({ file });
    app.use('/api', middleware);
    const api = express.Router();
    api.delete('/things/:id', (_req, res) => void res.sendStatus(204));
    app.use('/api', api);
    await request(app).delete('/api/things/5');
    await middleware.close();
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).operation_id, '/api/things/:id');
  });

  it('is exported by name and as default, with close() and stats()', async () => {
    assert.equal(defaultAudit, audit);
    const { app, middleware, records } = setup();
    app.post('/x', ok);
    await request(app).post('/x').send({});
    assert.equal(middleware.name, 'auditkit', 'a named function reads well in stack traces');
    await records();
    const stats = middleware.stats();
    const [sink] = Object.values(stats.sinks);
    assert.deepEqual([sink!.accepted, sink!.written], [1, 1]);
  });
});
