import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { AuditConfigError } from '@auditkit/core';
import audit from '../src/index.js';

// A route's config.audit is checked when the route is added, as options are at construction
// (issue 11, item 12): `audit: 'yes'` used to be accepted and do nothing.

async function appWithAudit() {
  const app = Fastify();
  await app.register(audit, { file: join(mkdtempSync(join(tmpdir(), 'auditkit-fastify-config-')), 'audit.log') });
  return app;
}

function refusal(add: () => void): AuditConfigError {
  try {
    add();
  } catch (err) {
    assert.ok(err instanceof AuditConfigError, String(err));
    return err;
  }
  return assert.fail('the route was added');
}

describe('Fastify route config.audit', () => {
  it('refuses a value that is neither a boolean nor a setting, naming the route', async () => {
    const app = await appWithAudit();
    const err = refusal(() => app.post('/orders', { config: { audit: 'yes' as never } }, async () => ({})));
    assert.equal(
      err.message,
      `[auditkit] options.route "POST /orders" config.audit: must be true, false or { audit, operationType, level }, got "yes". Fix: use { level: 'metadata' } or audit: false`,
    );
    assert.equal(err.code, 'AUDITKIT_INVALID_OPTION');
    await app.close();
  });

  it('refuses a misspelt key with a suggestion, a string audit, an empty operationType, and an unknown level', async () => {
    const app = await appWithAudit();
    assert.match(refusal(() => app.post('/a', { config: { audit: { audti: true } as never } }, async () => ({}))).message, /options\.route "POST \/a" config\.audit\.audti: is not an auditkit option\. Fix: did you mean route "POST \/a" config\.audit\.audit\?/);
    assert.match(refusal(() => app.put('/b', { config: { audit: { audit: 'true' as never } } }, async () => ({}))).message, /options\.route "PUT \/b" config\.audit\.audit: must be true or false, got "true"/);
    assert.match(refusal(() => app.delete('/c', { config: { audit: { operationType: '' } } }, async () => ({}))).message, /config\.audit\.operationType: must be a non-empty string/);
    assert.match(refusal(() => app.patch('/d', { config: { audit: { level: 'everything' as never } } }, async () => ({}))).message, /options\.route "PATCH \/d" config\.audit\.level: must be a level of detail, got "everything"/);
    await app.close();
  });

  it('checks routes of plugins registered after auditkit too, and accepts the valid forms', async () => {
    const app = await appWithAudit();
    let thrown: unknown;
    app.register(async (orders) => {
      orders.post('/ok', { config: { audit: { audit: true, operationType: 'orders' } } }, async () => ({}));
      orders.get('/ok', { config: { audit: false } }, async () => ({}));
      try {
        orders.post('/bad', { config: { audit: 1 as never } }, async () => ({}));
      } catch (err) {
        thrown = err;
      }
    }, { prefix: '/v1' });
    await app.ready();
    assert.ok(thrown instanceof AuditConfigError);
    assert.match(thrown.message, /options\.route "POST \/v1\/bad" config\.audit: must be true, false or \{ audit, operationType, level \}, got number 1\./);
    await app.close();
  });
});
