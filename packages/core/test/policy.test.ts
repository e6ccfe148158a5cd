import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Policy, defaultOperationType } from '../src/policy/policy.js';
import { globToRegExp, normalizeTemplate } from '../src/policy/route-pattern.js';

const policy = (extra: Partial<ConstructorParameters<typeof Policy>[0]> = {}) =>
  new Policy({ skipMethods: ['GET', 'HEAD', 'OPTIONS'], routes: [], highFrequency: ['/health', '/**/heartbeat'], ignoreHighFrequency: true, operationType: undefined, ...extra });

describe('policy', () => {
  it('skips reads and audits writes by default', () => {
    const p = policy();
    assert.equal(p.decide('GET', '/users/:id', undefined).audit, false);
    assert.equal(p.decide('DELETE', '/users/:id', undefined).audit, true);
    assert.equal(p.mayAudit('GET', undefined), false);
    assert.equal(p.mayAudit('POST', undefined), true);
  });

  it('skips high-frequency routes by template or glob, unless switched off', () => {
    assert.equal(policy().decide('POST', '/health', undefined).audit, false);
    assert.equal(policy().decide('POST', '/devices/:id/heartbeat', undefined).audit, false);
    assert.equal(policy().decide('POST', '/heartbeat', undefined).audit, false);
    assert.equal(policy({ ignoreHighFrequency: false }).decide('POST', '/health', undefined).audit, true);
  });

  it('route rules win over method and high-frequency defaults; first match wins', () => {
    const p = policy({
      routes: [
        { route: '/reports/:id', methods: ['GET'], audit: true, operationType: 'reports' },
        { route: '/internal/**', audit: false },
        { route: '/health', audit: true },
        { route: '/internal/special', audit: true },
      ],
    });
    assert.deepEqual(p.decide('GET', '/reports/:id', undefined), { audit: true, operationType: 'reports', level: 'request' });
    assert.equal(p.decide('POST', '/internal/special', undefined).audit, false, 'the earlier rule wins');
    assert.equal(p.decide('POST', '/health', undefined).audit, true);
    assert.equal(p.mayAudit('GET', undefined), true, 'a GET rule means GETs must be watched');
    assert.equal(p.mayAudit('HEAD', undefined), true, 'a rule without methods may switch on any method');
    const getOnly = policy({ routes: [{ route: '/reports/:id', methods: ['GET'], audit: true }] });
    assert.equal(getOnly.mayAudit('GET', undefined), true);
    assert.equal(getOnly.mayAudit('HEAD', undefined), false, 'HEAD stays free when no rule names it');
  });

  it("a route's own setting wins over the rules", () => {
    const p = policy({ routes: [{ route: '/x', audit: false }] });
    assert.equal(p.decide('POST', '/x', true).audit, true);
    assert.deepEqual(p.decide('GET', '/y', { audit: true, operationType: 'y' }), { audit: true, operationType: 'y', level: 'request' });
    assert.equal(p.mayAudit('GET', { audit: true }), true);
    assert.equal(p.mayAudit('POST', false), false);
  });

  it('derives operation_type from the first segment, as EMQX does', () => {
    assert.equal(defaultOperationType('/configs/global_zone'), 'configs');
    assert.equal(defaultOperationType('/'), '/');
    assert.equal(defaultOperationType('<unmatched>'), '<unmatched>');
  });

  it('globs: * is one segment, ** any number', () => {
    assert.ok(globToRegExp('/a/*/c').test('/a/b/c'));
    assert.ok(!globToRegExp('/a/*/c').test('/a/b/x/c'));
    assert.ok(globToRegExp('/a/**').test('/a/b/x/c'));
    assert.ok(globToRegExp('/a/:id(\\d+)').test('/a/:id(\\d+)'), 'regex characters are literal');
  });

  it('normalises templates the same way for every framework', () => {
    assert.equal(normalizeTemplate('/api/'), '/api');
    assert.equal(normalizeTemplate('//a//b/'), '/a/b');
    assert.equal(normalizeTemplate(''), '/');
  });
});

describe('levels of detail', () => {
  const p = policy({
    level: 'metadata',
    routes: [
      { route: '/payments/**', methods: ['POST'], level: 'request-response' },
      { route: '/payments/**', level: 'request' },
      { route: '/internal/**', level: 'none' },
    ],
  });
  it('first matching rule, then the default', () => {
    assert.deepEqual(p.decide('POST', '/payments/:id', undefined), { audit: true, operationType: undefined, level: 'request-response' });
    assert.deepEqual(p.decide('PUT', '/payments/:id', undefined), { audit: true, operationType: undefined, level: 'request' });
    assert.deepEqual(p.decide('POST', '/users', undefined), { audit: true, operationType: undefined, level: 'metadata' });
  });
  it("level 'none' is audit: false, and a route's own level comes first", () => {
    assert.equal(p.decide('POST', '/internal/x', undefined).audit, false);
    assert.equal(p.mayAudit('POST', { level: 'none' }), false);
    assert.deepEqual(p.decide('POST', '/payments/:id', { level: 'metadata' }), { audit: true, operationType: undefined, level: 'metadata' });
  });
  it('says which requests may need their response body kept', () => {
    assert.equal(p.recordsResponses, true);
    assert.equal(p.mayRecordResponse('POST', undefined, undefined), true);
    assert.equal(p.mayRecordResponse('PUT', undefined, undefined), false);
    assert.equal(p.mayRecordResponse('POST', undefined, '/users'), false);
    assert.equal(p.mayRecordResponse('PUT', { level: 'request-response' }, undefined), true);
    assert.equal(policy({}).recordsResponses, false);
  });
});
