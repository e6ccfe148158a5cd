import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import request from 'supertest';
import type { AuditOptions, AuditRecord, RequestRecord } from '@auditkit/core';
import { FRAMEWORKS, type Framework, type RunningApp } from '../src/apps.js';
import canonicalize from 'canonicalize';
import { normalize, requestRecords, schemaErrors } from '../src/records.js';
import { abortedRequest, jwt, JWT_AUDIENCE, JWT_ISSUER, JWT_SECRET, unsignedJwt, waitFor, withApp } from './helpers.js';

/**
 * The conformance table: every scenario runs against Express, Fastify and Koa with the same options
 * and the same requests. Each framework's records are checked on their own, then compared: apart
 * from ids, clocks and the Host header (see normalize), they must be identical.
 */

interface Scenario {
  name: string;
  options?: AuditOptions;
  run(app: RunningApp): Promise<void>;
  check(records: RequestRecord[], ctx: { framework: Framework; app: RunningApp; text: string; all: AuditRecord[] }): void;
  /** Compare records across frameworks (default true). */
  compare?: boolean;
}

const BASE: AuditOptions = {
  node: 'conformance',
  routes: [
    { route: '/reports/:id', methods: ['GET'], audit: true },
    { route: '/internal/**', audit: false },
  ],
  highFrequencyRoutes: ['/health'],
};

const allRecords: AuditRecord[] = [];

function only(records: RequestRecord[]): RequestRecord {
  assert.equal(records.length, 1, `expected exactly one record, got ${records.length}: ${JSON.stringify(records.map((r) => r.operation_id))}`);
  return records[0]!;
}

const scenarios: Scenario[] = [
  {
    name: 'a change-making call: the full record',
    async run(app) {
      const res = await request(app.url)
        .post('/api/users/42?q=search&token=abc123')
        .set('x-request-id', 'req-full-1')
        .set('user-agent', 'conformance/1.0')
        .send({ name: 'Ada', email: 'ada@example.com', password: 'hunter2', address: { street: '1 Main St', zip: 'N1' } });
      assert.equal(res.status, 201);
      assert.equal(res.headers['x-request-id'], 'req-full-1', 'the request id is echoed');
    },
    check(records, { text }) {
      const r = only(records);
      assert.equal(r.event, 'request');
      assert.equal(r.level, 'info');
      assert.equal(r.node, 'conformance');
      assert.equal(r.request_id, 'req-full-1');
      assert.equal(r.from, 'rest_api');
      assert.equal(r.source, null);
      assert.equal(r.source_verified, false);
      assert.equal(r.source_ip, '127.0.0.1');
      assert.equal(r.auth_type, 'none');
      assert.equal(r.auth_error, null);
      assert.equal(r.user_agent, 'conformance/1.0');
      assert.equal(r.operation_id, '/api/users/:id');
      assert.equal(r.operation_type, 'api');
      assert.equal(r.operation_result, 'success');
      assert.equal(r.http_method, 'post');
      assert.equal(r.http_status_code, 201);
      assert.equal(r.aborted, false);
      assert.equal(r.truncated, false);
      assert.deepEqual(r.bindings, { id: '42' });
      assert.deepEqual(r.query_string, { q: 'search', token: '******' });
      assert.equal(r.http_request.method, 'POST');
      assert.equal(r.http_request.body_type, 'application/json');
      assert.equal(r.http_request.body_recorded, 'full');
      assert.deepEqual(r.http_request.body, { name: 'Ada', email: 'ada@example.com', password: '******', address: { street: '1 Main St', zip: 'N1' } });
      assert.ok(r.duration_ms >= 0);
      assert.ok(Math.abs(r.time / 1000 - Date.now()) < 60_000, 'time is microseconds since the epoch');
      assert.equal(new Date(r.ts).getTime(), Math.floor(r.time / 1000), 'ts is time in RFC 3339');
      assert.ok(!text.includes('hunter2') && !text.includes('abc123'), 'no secret reaches the file');
    },
  },
  {
    name: 'nested routers and prefixes give the full template and every binding',
    async run(app) {
      assert.equal((await request(app.url).delete('/orgs/7/users/42')).status, 204);
      assert.equal((await request(app.url).put('/orgs/7/teams/9/members/3').send({ role: 'admin' })).status, 200);
    },
    check(records) {
      assert.equal(records.length, 2);
      assert.equal(records[0]!.operation_id, '/orgs/:orgId/users/:id');
      assert.deepEqual(records[0]!.bindings, { orgId: '7', id: '42' });
      assert.equal(records[0]!.operation_type, 'orgs');
      assert.equal(records[0]!.http_status_code, 204);
      assert.equal(records[1]!.operation_id, '/orgs/:orgId/teams/:teamId/members/:memberId');
      assert.deepEqual(records[1]!.bindings, { orgId: '7', teamId: '9', memberId: '3' });
    },
  },
  {
    name: 'every default-masked header is masked, the others are kept',
    async run(app) {
      await request(app.url)
        .post('/echo')
        .set('authorization', 'Bearer garbage')
        .set('proxy-authorization', 'Basic cHJveHk6c2VjcmV0')
        .set('cookie', 'connect.sid=s%3Asecret-session')
        .set('set-cookie', 'evil=1')
        .set('x-api-key', 'key-secret-1')
        .set('api-key', 'key-secret-2')
        .set('x-auth-token', 'token-secret-3')
        .set('x-client-secret', 'secret-by-keyword')
        .set('x-visible', 'kept')
        .send({ a: 1 });
    },
    check(records, { text }) {
      const h = only(records).http_request.headers;
      for (const name of ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'api-key', 'x-auth-token']) {
        assert.equal(h[name], '******', `${name} is masked`);
      }
      assert.equal(h['x-client-secret'], '******', 'a header whose name matches a keyword is masked too');
      assert.equal(h['x-visible'], 'kept');
      for (const secret of ['secret-session', 'key-secret-1', 'key-secret-2', 'token-secret-3', 'secret-by-keyword', 'cHJveHk6c2VjcmV0']) {
        assert.ok(!text.includes(secret), `${secret} never reaches the file`);
      }
    },
  },
  {
    name: 'keyword rules at any depth, exact path rules, and the app keeps its own values',
    options: { redact: { paths: ['body.card.number', 'body.profile.email', 'body.items[*].sku'], keys: ['iban'] } },
    async run(app) {
      await request(app.url)
        .post('/echo')
        .send({
          card: { number: '4111111111111111', holder: 'Ada' },
          profile: { email: 'ada@example.com', name: 'Ada' },
          IBAN: 'DE89370400440532013000',
          items: [{ sku: 'A-1', qty: 1 }, { sku: 'B-2', qty: 2 }],
          nested: { deeper: { clientSecret: 's1', apiKey: 'k1', cvv2: '123', userSSN: '078-05-1120', className: 'kept', newPassword: 'p1', refresh_token: 'r1', 'x-api-key': 'k2' } },
        });
    },
    check(records, { app }) {
      const body = only(records).http_request.body as Record<string, any>;
      assert.deepEqual(body.card, { number: '******', holder: 'Ada' });
      assert.deepEqual(body.profile, { email: '******', name: 'Ada' });
      assert.equal(body.IBAN, '******');
      assert.deepEqual(body.items, [{ sku: '******', qty: 1 }, { sku: '******', qty: 2 }]);
      assert.deepEqual(body.nested.deeper, {
        clientSecret: '******',
        apiKey: '******',
        cvv2: '******',
        userSSN: '******',
        className: 'kept',
        newPassword: '******',
        refresh_token: '******',
        'x-api-key': '******',
      });
      const seen = app.observed.bodies[0] as Record<string, any>;
      assert.equal(seen.card.number, '4111111111111111', "the application's body object is untouched");
      assert.equal(seen.nested.deeper.newPassword, 'p1');
    },
  },
  {
    name: 'remove and hmac modes; Vault golden vector',
    options: { redact: { mode: 'remove', hmacKey: 'foo', paths: [{ path: 'body.lookup', mode: 'hmac' }, { path: 'body.other', mode: 'hmac' }] } },
    async run(app) {
      await request(app.url).post('/echo').send({ password: 'gone', lookup: 'foo', other: 'bar', keep: 1 });
    },
    check(records) {
      const body = only(records).http_request.body as Record<string, unknown>;
      assert.ok(!('password' in body), 'remove mode drops the key');
      assert.equal(body.lookup, 'hmac-sha256:08ba357e274f528065766c770a639abf6809b39ccfd37c2a3157c7f51954da0a');
      assert.equal(body.other, 'hmac-sha256:f9320baf0249169e73850cd6156ded0106e2bb6ad8cab01b7bbbebe6d1065317');
      assert.equal(body.keep, 1);
    },
  },
  {
    name: 'JWT: valid, expired, bad signature, alg none, garbage',
    options: { auth: { jwt: { verify: { secret: JWT_SECRET, issuer: JWT_ISSUER, audience: JWT_AUDIENCE } } } },
    async run(app) {
      const send = (token: string, id: string) => request(app.url).post('/api/users/1').set('authorization', `Bearer ${token}`).set('x-request-id', id).send({});
      await send(await jwt({ sub: 'alice' }), 'valid');
      await send(await jwt({ sub: 'alice' }, { expiresIn: Math.floor(Date.now() / 1000) - 60 }), 'expired');
      await send(await jwt({ sub: 'mallory' }, { secret: 'another-secret-that-is-32-bytes-long!!' }), 'bad-signature');
      await send(unsignedJwt({ sub: 'root', iss: JWT_ISSUER, aud: JWT_AUDIENCE }), 'alg-none');
      await send('not-a-jwt-at-all', 'garbage');
      await send(await jwt({ sub: 'eve' }, { audience: 'some-other-service' }), 'wrong-audience');
    },
    check(records, { text }) {
      const by = Object.fromEntries(records.map((r) => [r.request_id, r]));
      assert.deepEqual([by.valid!.auth_type, by.valid!.source, by.valid!.source_verified, by.valid!.auth_error], ['jwt_token', 'alice', true, null]);
      assert.deepEqual([by.expired!.source, by.expired!.source_verified, by.expired!.auth_error], ['alice', false, 'expired']);
      assert.deepEqual([by['bad-signature']!.source, by['bad-signature']!.source_verified, by['bad-signature']!.auth_error], ['mallory', false, 'bad_signature']);
      assert.deepEqual([by['alg-none']!.source, by['alg-none']!.source_verified, by['alg-none']!.auth_error], ['root', false, 'alg_none']);
      assert.deepEqual([by.garbage!.auth_type, by.garbage!.source, by.garbage!.source_verified, by.garbage!.auth_error], ['jwt_token', null, false, 'malformed']);
      assert.deepEqual([by['wrong-audience']!.source, by['wrong-audience']!.source_verified, by['wrong-audience']!.auth_error], ['eve', false, 'claim_invalid']);
      assert.ok(!text.includes('eyJ'), 'no token reaches the file');
    },
  },
  {
    name: 'JWT without verification keys: the claim is recorded, never as verified',
    async run(app) {
      await request(app.url).post('/api/users/1').set('authorization', `Bearer ${await jwt({ sub: 'alice' })}`).send({});
    },
    check(records) {
      const r = only(records);
      assert.deepEqual([r.auth_type, r.source, r.source_verified, r.auth_error], ['jwt_token', 'alice', false, null]);
    },
  },
  {
    name: 'API key: named by the resolver, fingerprinted when unknown, never recorded',
    // One fingerprint key for the three apps, so their records agree (each install has its own otherwise).
    options: { auth: { apiKey: { resolve: (key) => (key === 'ak_live_123456' ? 'ci-deployer' : undefined) } }, redact: { fingerprintKey: 'conformance-fingerprint-key-32b!' } },
    async run(app) {
      await request(app.url).post('/api/users/1').set('x-api-key', 'ak_live_123456').set('x-request-id', 'known').send({});
      await request(app.url).post('/api/users/1').set('x-api-key', 'ak_live_unknown').set('x-request-id', 'unknown').send({});
    },
    check(records, { text }) {
      const by = Object.fromEntries(records.map((r) => [r.request_id, r]));
      assert.deepEqual([by.known!.auth_type, by.known!.source, by.known!.source_verified], ['api_key', 'ci-deployer', true]);
      assert.equal(by.unknown!.auth_error, 'unknown_key');
      // HMAC-SHA256 under that key, first 16 hex digits (openssl dgst -sha256 -hmac).
      assert.equal(by.unknown!.source, 'key-hmac:35cf03ab4d582fbf');
      assert.ok(!text.includes('ak_live_123456') && !text.includes('ak_live_unknown'));
    },
  },
  {
    name: 'Basic auth: the user name, never the password',
    async run(app) {
      await request(app.url).post('/api/users/1').auth('alice', 'correct horse battery').send({});
    },
    check(records, { text }) {
      const r = only(records);
      assert.deepEqual([r.auth_type, r.source, r.source_verified], ['basic', 'alice', false]);
      assert.ok(!text.includes('correct horse'));
    },
  },
  {
    name: 'session cookie: auth_type session, the cookie masked',
    async run(app) {
      await request(app.url).post('/api/users/1').set('cookie', 'connect.sid=s%3Aabcdef').send({});
    },
    check(records) {
      const r = only(records);
      assert.equal(r.auth_type, 'session');
      assert.equal(r.http_request.headers.cookie, '******');
    },
  },
  {
    name: 'GET, HEAD and OPTIONS are skipped',
    async run(app) {
      assert.equal((await request(app.url).get('/api/users/1')).status, 200);
      await request(app.url).head('/api/users/1');
      await request(app.url).options('/api/users/1');
    },
    check(records) {
      assert.equal(records.length, 0);
    },
  },
  {
    name: 'high-frequency routes are skipped while ignoreHighFrequency is on',
    async run(app) {
      assert.equal((await request(app.url).post('/health').send({})).status, 200);
    },
    check(records) {
      assert.equal(records.length, 0);
    },
  },
  {
    name: 'high-frequency routes are recorded with ignoreHighFrequency off',
    options: { ignoreHighFrequency: false },
    async run(app) {
      await request(app.url).post('/health').send({});
    },
    check(records) {
      assert.equal(only(records).operation_id, '/health');
    },
  },
  {
    name: 'per-route opt-in (a GET) and opt-out (a POST)',
    async run(app) {
      await request(app.url).get('/reports/5');
      await request(app.url).post('/internal/sync').send({});
    },
    check(records) {
      const r = only(records);
      assert.equal(r.operation_id, '/reports/:id');
      assert.equal(r.http_method, 'get');
    },
  },
  {
    name: 'status codes: 201, 204, 400, 404, 500 and their results',
    async run(app) {
      await request(app.url).post('/api/users/1').set('x-request-id', 's201').send({});
      await request(app.url).delete('/orgs/1/users/2').set('x-request-id', 's204');
      for (const code of [400, 404, 500]) await request(app.url).post(`/status/${code}`).set('x-request-id', `s${code}`).send({});
    },
    check(records) {
      const by = Object.fromEntries(records.map((r) => [r.request_id, r]));
      for (const [id, status, result, level] of [
        ['s201', 201, 'success', 'info'],
        ['s204', 204, 'success', 'info'],
        ['s400', 400, 'failure', 'warn'],
        ['s404', 404, 'failure', 'warn'],
        ['s500', 500, 'failure', 'warn'],
      ] as const) {
        assert.deepEqual([by[id]!.http_status_code, by[id]!.operation_result, by[id]!.level], [status, result, level], id);
      }
      assert.equal(by.s404!.operation_id, '/status/:code', 'a 404 from a matched route keeps its template');
    },
  },
  {
    name: "thrown errors: the final status is recorded and the app's error propagates unchanged",
    async run(app) {
      assert.equal((await request(app.url).post('/throw').set('x-request-id', 'boom').send({})).status, 500);
      assert.equal((await request(app.url).post('/throw-teapot').set('x-request-id', 'teapot').send({})).status, 418);
    },
    check(records, { app }) {
      const by = Object.fromEntries(records.map((r) => [r.request_id, r]));
      assert.deepEqual([by.boom!.http_status_code, by.boom!.operation_result, by.boom!.operation_id], [500, 'failure', '/throw']);
      assert.equal(by.teapot!.http_status_code, 418);
      assert.equal(app.observed.errors.length, 2);
      assert.equal(app.observed.errors[0], app.observed.thrown[0], 'the very same error object reached the app');
      assert.equal(app.observed.errors[1], app.observed.thrown[1]);
    },
  },
  {
    name: 'an unmatched route gets the marker, never the raw URL',
    async run(app) {
      assert.equal((await request(app.url).post('/nope/4242-secret-path?x=1').send({})).status, 404);
    },
    check(records, { text }) {
      const r = only(records);
      assert.equal(r.operation_id, '<unmatched>');
      assert.equal(r.operation_type, '<unmatched>');
      assert.deepEqual(r.bindings, {});
      assert.ok(!text.includes('4242-secret-path'));
    },
  },
  {
    name: 'an aborted client is recorded as aborted',
    async run(app) {
      await abortedRequest(app.url, '/slow', 150);
      await waitFor(() => Object.values(app.auditor.stats().sinks).some((s) => s.accepted >= 1), 3000, 'the aborted record');
    },
    check(records, { app }) {
      const r = only(records);
      assert.equal(r.request_id, 'aborted-1');
      assert.equal(r.aborted, true);
      assert.equal(r.http_status_code, 499);
      assert.equal(r.operation_result, 'failure');
      assert.equal(r.operation_id, '/slow');
      assert.equal(app.observed.calls.slow, 1);
    },
  },
  {
    name: 'handler meta, operator, target and an extra event share the request id',
    async run(app) {
      await request(app.url).post('/annotated/42').set('x-request-id', 'annotated-1').send({ role: 'admin' });
    },
    check(records) {
      assert.equal(records.length, 2);
      const [event, main] = records as [RequestRecord, RequestRecord];
      assert.equal(event.event, 'user.role_changed');
      assert.deepEqual(event.meta, { from: 'viewer', to: 'admin' });
      assert.equal(main.event, 'request');
      assert.deepEqual(main.meta, { reason: 'quarterly review', password: '******' });
      for (const r of records) {
        assert.equal(r.request_id, 'annotated-1');
        assert.equal(r.source, 'admin@example.com');
        assert.equal(r.source_verified, true);
        assert.deepEqual(r.target, { type: 'user', id: '42', name: 'Ada' });
      }
      assert.ok(event.id < main.id, 'ids sort in the order the records were made');
    },
  },
  {
    name: 'an event from a skipped GET is recorded on its own',
    async run(app) {
      const res = await request(app.url).get('/secrets/db');
      assert.match(String(res.headers['x-request-id']), /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a request that became audited echoes its generated id');
    },
    check(records) {
      const r = only(records);
      assert.equal(r.event, 'secret.read');
      assert.equal(r.http_method, 'get');
      assert.deepEqual(r.target, { type: 'secret', id: 'db-password' });
    },
  },
  {
    name: '401 carries the attempted operator',
    options: { auth: { jwt: { verify: { secret: JWT_SECRET, issuer: JWT_ISSUER, audience: JWT_AUDIENCE } } } },
    async run(app) {
      await request(app.url).post('/login').set('x-request-id', 'app-says').send({ user: 'mallory', password: 'guess' });
      await request(app.url)
        .post('/status/403')
        .set('x-request-id', 'expired-token')
        .set('authorization', `Bearer ${await jwt({ sub: 'bob' }, { expiresIn: Math.floor(Date.now() / 1000) - 5 })}`)
        .send({});
    },
    check(records) {
      const by = Object.fromEntries(records.map((r) => [r.request_id, r]));
      assert.deepEqual([by['app-says']!.http_status_code, by['app-says']!.source, by['app-says']!.source_verified], [401, 'mallory', false]);
      assert.deepEqual([by['expired-token']!.http_status_code, by['expired-token']!.source, by['expired-token']!.auth_error], [403, 'bob', 'expired']);
    },
  },
  {
    name: 'skip() from the handler leaves no record',
    async run(app) {
      await request(app.url).post('/quiet').send({});
    },
    check(records) {
      assert.equal(records.length, 0);
    },
  },
  {
    name: 'bodies are capped with an explicit marker',
    options: { limits: { bodyBytes: 2048 } },
    async run(app) {
      const big: Record<string, string> = {};
      for (let i = 0; i < 500; i++) big[`field${i}`] = 'x'.repeat(100);
      assert.equal((await request(app.url).post('/echo').send(big)).status, 200);
    },
    check(records, { text }) {
      const r = only(records);
      assert.equal(r.truncated, true);
      assert.equal(r.http_request.body_recorded, 'truncated');
      const body = r.http_request.body as Record<string, unknown>;
      assert.ok(typeof body.$truncated === 'number' && body.$truncated > 400, 'the marker counts what was cut');
      assert.ok(Buffer.byteLength(text) < 6000, `the line stays near the cap (${Buffer.byteLength(text)} bytes)`);
    },
  },
  {
    name: 'a body keyed by numbers is still written as canonical JSON',
    async run(app) {
      await request(app.url).post('/echo').send({ '10': 'ten', '2': 'two', b: { '1': 1, a: 0 }, a: 1 });
    },
    check(records) {
      assert.deepEqual(only(records).http_request.body, { '10': 'ten', '2': 'two', a: 1, b: { '1': 1, a: 0 } });
    },
  },
  {
    name: 'a text body is summarised, never recorded raw',
    async run(app) {
      await request(app.url).post('/echo').set('content-type', 'text/plain').send('password=hunter2 in free text');
    },
    check(records, { text }) {
      const http = only(records).http_request;
      assert.deepEqual([http.body, http.body_type, http.body_bytes, http.body_recorded], [null, 'text/plain', 29, 'summary']);
      assert.ok(!text.includes('hunter2'));
    },
  },
  {
    name: 'a form body is structured and redacted',
    async run(app) {
      await request(app.url).post('/echo').type('form').send('user=ada&password=hunter2');
    },
    check(records) {
      assert.deepEqual(only(records).http_request.body, { user: 'ada', password: '******' });
    },
  },
  {
    name: 'cycles and odd values in handler meta',
    async run(app) {
      await request(app.url).post('/cyclic').send({});
    },
    check(records) {
      assert.deepEqual(only(records).meta, { m: { name: 'loop', self: '[Circular]' }, big: '10', when: '1970-01-01T00:00:00.000Z' });
    },
  },
  {
    name: 'incoming request ids: kept when sane, replaced when not',
    async run(app) {
      const bad = await request(app.url).post('/api/users/1').set('x-request-id', 'has space').send({});
      assert.match(bad.headers['x-request-id'] as string, /^[0-9a-f-]{36}$/);
      const long = await request(app.url).post('/api/users/1').set('x-request-id', 'a'.repeat(200)).send({});
      assert.match(long.headers['x-request-id'] as string, /^[0-9a-f-]{36}$/);
    },
    check(records) {
      assert.equal(records.length, 2);
      for (const r of records) assert.match(r.request_id, /^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    },
    compare: false,
  },
  {
    name: 'X-Forwarded-For is ignored unless the proxy is trusted',
    async run(app) {
      await request(app.url).post('/api/users/1').set('x-forwarded-for', '203.0.113.9').send({});
    },
    check(records) {
      assert.equal(only(records).source_ip, '127.0.0.1');
    },
  },
  {
    name: 'X-Forwarded-For through a trusted proxy, one hop at a time',
    options: { trustProxy: ['loopback'] },
    async run(app) {
      await request(app.url).post('/api/users/1').set('x-request-id', 'one').set('x-forwarded-for', '203.0.113.9').send({});
      await request(app.url).post('/api/users/1').set('x-request-id', 'spoof').set('x-forwarded-for', '6.6.6.6, 198.51.100.7').send({});
    },
    check(records) {
      const by = Object.fromEntries(records.map((r) => [r.request_id, r]));
      assert.equal(by.one!.source_ip, '203.0.113.9');
      assert.equal(by.spoof!.source_ip, '198.51.100.7', 'only the hop the trusted proxy saw counts');
    },
  },
  {
    name: 'the user agent is capped',
    async run(app) {
      await request(app.url).post('/api/users/1').set('user-agent', 'U'.repeat(3000)).send({});
    },
    check(records) {
      const ua = only(records).user_agent!;
      assert.ok(ua.startsWith('U'.repeat(1024)) && ua.endsWith('…[truncated]') && ua.length === 1024 + '…[truncated]'.length);
    },
  },
  {
    name: 'a classifier sets from; a fixed offset sets ts',
    options: { from: (f) => (f.headers['x-requested-with'] === 'dashboard' ? 'dashboard' : 'rest_api'), timeOffset: '+02:00' },
    async run(app) {
      await request(app.url).post('/api/users/1').set('x-requested-with', 'dashboard').send({});
    },
    check(records) {
      const r = only(records);
      assert.equal(r.from, 'dashboard');
      assert.match(r.ts, /\+02:00$/);
      assert.equal(new Date(r.ts).getTime(), Math.floor(r.time / 1000));
    },
  },
  {
    name: "levels of detail: 'metadata' records who, what, when and the result, no headers or body",
    options: {
      routes: [...BASE.routes!, { route: '/api/users/:id', methods: ['POST'], level: 'metadata' }, { route: '/quiet-level', level: 'none' }],
    },
    async run(app) {
      await request(app.url).post('/api/users/42?q=search').set('x-visible', 'header-value-1').set('user-agent', 'conformance/1.0').send({ name: 'Ada', motto: 'body-value-1' });
      await request(app.url).post('/echo').set('x-visible', 'header-value-2').send({ motto: 'body-value-2' });
    },
    check(records, { text }) {
      assert.equal(records.length, 2);
      const [meta, full] = records as [RequestRecord, RequestRecord];
      assert.equal(meta.audit_level, 'metadata');
      assert.equal(meta.operation_id, '/api/users/:id');
      assert.equal(meta.http_status_code, 201);
      assert.equal(meta.operation_result, 'success');
      assert.equal(meta.source_ip, '127.0.0.1');
      assert.equal(meta.user_agent, 'conformance/1.0');
      assert.deepEqual(meta.bindings, { id: '42' });
      assert.deepEqual(meta.query_string, { q: 'search' });
      assert.deepEqual(meta.http_request, { method: 'POST', headers: {}, body: null, body_type: 'application/json', body_bytes: 37, body_recorded: 'none' });
      assert.equal(meta.http_response, undefined);
      assert.ok(!text.includes('header-value-1') && !text.includes('body-value-1'), 'neither the headers nor the body of a metadata record reach the file');
      assert.equal(full.audit_level, 'request', 'the default is today’s record');
      assert.equal(full.http_request.headers['x-visible'], 'header-value-2');
      assert.deepEqual(full.http_request.body, { motto: 'body-value-2' });
    },
  },
  {
    name: "levels of detail: 'request-response' adds the response body, redacted and capped; 'none' records nothing; first match wins",
    options: {
      level: 'request',
      limits: { bodyBytes: 64 },
      redact: { keys: ['report'] },
      routes: [
        { route: '/reports/:id', methods: ['GET'], audit: true, level: 'request-response' },
        { route: '/internal/**', audit: false },
        { route: '/echo', level: 'none' },
        { route: '/orgs/**', level: 'request-response' },
        { route: '/api/users/:id', methods: ['POST'], level: 'request-response' },
        { route: '/api/**', level: 'metadata' },
      ],
    },
    async run(app) {
      assert.equal((await request(app.url).get('/reports/5')).status, 200);
      assert.equal((await request(app.url).post('/api/users/7').send({ name: 'Ada' })).status, 201);
      assert.equal((await request(app.url).patch('/api/users/7/role').send({ role: 'admin' })).status, 200);
      assert.equal((await request(app.url).delete('/orgs/1/users/2')).status, 204);
      assert.equal((await request(app.url).put(`/orgs/1/teams/2/members/${'m'.repeat(90)}`).send({})).status, 200);
      assert.equal((await request(app.url).post('/echo').send({ a: 1 })).status, 200);
      assert.equal((await request(app.url).post('/login').send({ user: 'mallory' })).status, 401);
    },
    check(records) {
      assert.deepEqual(
        records.map((r) => `${r.operation_id} ${r.audit_level}`),
        [
          '/reports/:id request-response',
          '/api/users/:id request-response',
          '/api/users/:id/role metadata',
          '/orgs/:orgId/users/:id request-response',
          '/orgs/:orgId/teams/:teamId/members/:memberId request-response',
          '/login request',
        ],
      );
      const [report, created, role, deleted, member, login] = records as RequestRecord[];
      assert.deepEqual(report!.http_response, { body: { report: '******' }, body_type: 'application/json', body_bytes: 14, body_recorded: 'full' });
      assert.deepEqual(created!.http_response, { body: { created: true, id: '7' }, body_type: 'application/json', body_bytes: 25, body_recorded: 'full' });
      assert.equal(role!.http_response, undefined);
      assert.deepEqual(role!.http_request.body, null);
      assert.deepEqual(deleted!.http_response, { body: null, body_type: null, body_bytes: null, body_recorded: 'none' });
      assert.equal(member!.http_response!.body_recorded, 'truncated');
      assert.equal(member!.truncated, true);
      assert.match(JSON.stringify(member!.http_response!.body), /truncated/);
      assert.equal(login!.http_response, undefined);
    },
  },
  {
    name: 'close() flushes: N accepted requests are N lines on disk',
    async run(app) {
      const agent = request(app.url);
      const batch = Array.from({ length: 300 }, (_, i) => agent.post(`/api/users/${i}`).send({ i }));
      const results = await Promise.all(batch);
      assert.ok(results.every((r) => r.status === 201));
    },
    check(records, { all }) {
      assert.equal(all.length, 300);
      assert.equal(new Set(all.map((r) => r.id)).size, 300, 'ids are unique');
      assert.deepEqual(new Set(records.map((r) => (r.bindings as { id: string }).id)).size, 300);
    },
    compare: false,
  },
];

const normalized = new Map<string, Map<Framework, unknown[]>>();

for (const scenario of scenarios) {
  describe(scenario.name, () => {
    for (const framework of FRAMEWORKS) {
      it(framework, async () => {
        const { records, app, text } = await withApp(framework, { ...BASE, ...scenario.options }, scenario.run);
        allRecords.push(...records);
        // Every line is RFC 8785 canonical JSON, byte for byte.
        for (const line of text.split('\n').filter(Boolean)) assert.equal(line, canonicalize(JSON.parse(line)));
        scenario.check(requestRecords(records), { framework, app, text, all: records });
        if (!normalized.has(scenario.name)) normalized.set(scenario.name, new Map());
        // Records whose operator is verified asynchronously can overtake each other, so compare as sets.
        normalized.get(scenario.name)!.set(framework, records.map(normalize).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))));
      });
    }
    if (scenario.compare !== false) {
      it('identical records from every framework', () => {
        const runs = normalized.get(scenario.name)!;
        const express = runs.get('express');
        assert.ok(express, 'the express run produced records');
        for (const framework of FRAMEWORKS) assert.deepEqual(runs.get(framework), express, `${framework} differs from express`);
      });
    }
  });
}

describe('JSON Schema', () => {
  it('every record the conformance runs wrote validates against schema/audit-record.schema.json', () => {
    assert.ok(allRecords.length > 100, `collected ${allRecords.length} records`);
    for (const record of allRecords) {
      const errors = schemaErrors(record);
      assert.equal(errors, undefined, `${errors} in ${JSON.stringify(record).slice(0, 300)}`);
    }
  });

  it('rejects a record with a missing field or a wrong type', () => {
    const good = allRecords.find((r) => r.event === 'request')!;
    const missing = { ...good } as Record<string, unknown>;
    delete missing.operation_id;
    assert.notEqual(schemaErrors(missing), undefined);
    assert.notEqual(schemaErrors({ ...good, http_status_code: '200' }), undefined);
  });
});

