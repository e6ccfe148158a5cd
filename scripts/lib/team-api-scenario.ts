import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import request from 'supertest';
import { smokeRunServer } from './smoke-server.js';

/**
 * The walk-through every example must pass: the examples implement the same team API on three
 * frameworks, so the same requests must leave the same trail.
 */
export async function exerciseTeamApi(server: Server): Promise<void> {
  const agent = request(server);
  const created = await agent.post('/orgs/acme/users').send({ name: 'Ada', password: 'hunter2' });
  assert.equal(created.status, 201);
  await agent.patch(`/orgs/acme/users/${created.body.id}/role`).send({ role: 'admin', reason: 'on call' });
  await agent.delete(`/orgs/acme/users/${created.body.id}`);
  await agent.post('/session').send({ user: 'mallory', password: 'guess' });
  await agent.get('/health');
}

export function checkTeamRecords(records: Array<Record<string, any>>): void {
  assert.deepEqual(
    records.map((r) => [r.event, r.operation_id, r.http_status_code]),
    [
      ['request', '/orgs/:orgId/users', 201],
      ['user.role_changed', '/orgs/:orgId/users/:id/role', 200],
      ['request', '/orgs/:orgId/users/:id/role', 200],
      ['request', '/orgs/:orgId/users/:id', 204],
      ['request', '/session', 401],
    ],
  );
  assert.equal(records[0]!.http_request.body.password, '******');
  assert.deepEqual([records[4]!.source, records[4]!.source_verified], ['mallory', false]);
}

/**
 * The tests every example gets: the walk-through against its app, and a smoke run of its real
 * server entry point. `start` serves the example's app with auditing into `file`.
 */
export function describeExample(
  name: string,
  start: (file: string) => Promise<{ server: Server; close(): Promise<void> }>,
  serverFile: string,
): void {
  describe(`${name} example`, () => {
    it('audits the team API as the README says', async () => {
      const file = join(mkdtempSync(join(tmpdir(), 'auditkit-example-')), 'audit.log');
      const { server, close } = await start(file);
      try {
        await exerciseTeamApi(server);
      } finally {
        await close();
      }
      checkTeamRecords(readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l)));
    });

    it('its server entry point starts, is audited, and flushes on SIGTERM', async () => {
      const records = await smokeRunServer(serverFile, import.meta.resolve('tsx'), async (url) => {
        const res = await fetch(url + '/orgs/acme/users', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"Grace"}' });
        assert.equal(res.status, 201);
      });
      assert.equal(records.length, 1);
      assert.equal(records[0]!.operation_id, '/orgs/:orgId/users');
    });
  });
}
