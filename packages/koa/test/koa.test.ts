import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Router from '@koa/router';
import Koa from 'koa';
import request from 'supertest';
import { audit } from '../src/index.js';

function setup() {
  const file = join(mkdtempSync(join(tmpdir(), 'auditkit-koa-')), 'audit.log');
  const app = new Koa();
  app.silent = true;
  const middleware = audit({ file });
  app.use(middleware);
  const records = async () => {
    await middleware.close();
    return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  };
  return { app, middleware, records };
}

describe('Koa middleware', () => {
  it('reads templates from @koa/router, with a prefix set later and nested routers', async () => {
    const { app, records } = setup();
    const api = new Router();
    const projects = new Router();
    projects.post('/:projectId/tasks', (ctx) => {
      ctx.status = 201;
    });
    api.use('/projects', projects.routes());
    api.prefix('/api/v2');
    app.use(api.routes());
    await request(app.callback()).post('/api/v2/projects/p1/tasks').send({});
    const [r] = await records();
    assert.equal(r.operation_id, '/api/v2/projects/:projectId/tasks');
    assert.deepEqual(r.bindings, { projectId: 'p1' });
    assert.equal(r.operation_type, 'api');
  });

  it('without a router every request is <unmatched>', async () => {
    const { app, records } = setup();
    app.use((ctx) => {
      ctx.status = 202;
    });
    await request(app.callback()).post('/anything/42').send({});
    const [r] = await records();
    assert.deepEqual([r.operation_id, r.http_status_code], ['<unmatched>', 202]);
  });

  it('records the status Koa finally sends for an error thrown downstream, and the error still reaches app.on("error")', async () => {
    const { app, records } = setup();
    const seen: unknown[] = [];
    app.on('error', (err) => seen.push(err));
    const err = Object.assign(new Error('conflict'), { status: 409, expose: true });
    app.use(() => {
      throw err;
    });
    const res = await request(app.callback()).post('/x').send({});
    assert.equal(res.status, 409);
    const [r] = await records();
    assert.equal(r.http_status_code, 409);
    assert.equal(seen[0], err, 'the very same error object reached app.on("error")');
    const { app: app2, records: records2 } = setup();
    app2.on('error', (e) => seen.push(e));
    const boom = new Error('boom');
    app2.use(() => {
      throw boom;
    });
    assert.equal((await request(app2.callback()).post('/y').send({})).status, 500);
    assert.equal((await records2())[0].http_status_code, 500);
    assert.equal(seen[1], boom, 'the very same error object');
  });

  it('exposes ctx.audit to downstream middleware', async () => {
    const { app, records } = setup();
    app.use((ctx) => {
      ctx.audit.meta({ step: 'checked' }).operator('svc-koa');
      ctx.status = 200;
    });
    await request(app.callback()).put('/z').send({});
    const [r] = await records();
    assert.deepEqual([r.meta, r.source], [{ step: 'checked' }, 'svc-koa']);
  });
});
