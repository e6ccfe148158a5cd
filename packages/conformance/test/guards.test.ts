import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { exportJWK, SignJWT } from 'jose';
import request from 'supertest';
import type { AuditFault } from '@auditkit/core';
import { FRAMEWORKS, startApp } from '../src/apps.js';
import { join } from 'node:path';
import { requestRecords, tempDir } from '../src/records.js';
import { abortedRequest, waitFor, withApp } from './helpers.js';

/** The audit path is guarded: user hooks that throw never break a request, and close() waits for every record. */

for (const framework of FRAMEWORKS) {
  describe(`guarded audit path (${framework})`, () => {
    it('throwing skip, from and operationType hooks: the request succeeds, the record is kept, a fault is reported', async () => {
      const faults: AuditFault[] = [];
      const { records } = await withApp(
        framework,
        {
          skip: () => {
            throw new Error('skip exploded');
          },
          from: () => {
            throw new Error('from exploded');
          },
          operationType: () => {
            throw new Error('type exploded');
          },
        },
        async (app) => {
          app.auditor.on('fault', (f: AuditFault) => faults.push(f));
          assert.equal((await request(app.url).post('/api/users/1').send({})).status, 201);
        },
      );
      const r = requestRecords(records)[0]!;
      assert.equal(r.from, 'rest_api');
      assert.equal(r.operation_type, '/api/users/:id', 'falls back to the operation id');
      assert.deepEqual(faults.map((f) => f.code), ['AUDITKIT_HOOK_FAILED', 'AUDITKIT_HOOK_FAILED', 'AUDITKIT_HOOK_FAILED']);
    });

    it('close() waits for records whose operator is still being verified against a JWKS endpoint', async () => {
      const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const jwk = { ...(await exportJWK(publicKey)), kid: 'k', alg: 'ES256' };
      // A deliberately slow key server: the response has long gone when the key set arrives.
      const jwks = http.createServer((_req, res) => setTimeout(() => res.end(JSON.stringify({ keys: [jwk] })), 300));
      await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
      const url = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks`;
      const token = await new SignJWT({ sub: 'dana' }).setProtectedHeader({ alg: 'ES256', kid: 'k' }).setIssuer('iss').setAudience('aud').setExpirationTime('5m').sign(privateKey);
      try {
        let answeredIn = 0;
        const { records } = await withApp(framework, { auth: { jwt: { verify: { jwksUrl: url, issuer: 'iss', audience: 'aud' } } } }, async (app) => {
          const started = Date.now();
          assert.equal((await request(app.url).post('/api/users/1').set('authorization', `Bearer ${token}`).send({})).status, 201);
          answeredIn = Date.now() - started;
          assert.equal(app.auditor.stats().building, 1, 'the record is still being built');
        });
        assert.ok(answeredIn < 250, `the response did not wait for the key server (${answeredIn} ms)`);
        const r = requestRecords(records)[0]!;
        assert.deepEqual([r.source, r.source_verified], ['dana', true]);
      } finally {
        await new Promise<void>((r) => jwks.close(() => r()));
      }
    });

    it('without a fault listener, faults become process warnings, at most one per code a minute', async () => {
      const warnings: Error[] = [];
      const onWarning = (w: Error): void => {
        if (w.name === 'AuditkitWarning') warnings.push(w);
      };
      process.on('warning', onWarning);
      try {
        const app = await startApp(framework, {
          audit: {
            file: join(tempDir(), 'audit.log'),
            skip: () => {
              throw new Error('again and again');
            },
          },
        });
        try {
          for (let i = 0; i < 3; i++) await request(app.url).post('/api/users/1').send({});
        } finally {
          await app.close();
        }
        await new Promise((r) => setImmediate(r));
      } finally {
        process.off('warning', onWarning);
      }
      assert.equal(warnings.length, 1, 'three faults, one warning');
      assert.match(warnings[0]!.message, /options\.skip threw: again and again/);
    });

    it('a record arriving after close() is dropped, counted and reported, never lost silently', async () => {
      const app = await startApp(framework, { audit: { file: join(tempDir(), 'audit.log') } });
      const faults: AuditFault[] = [];
      app.auditor.on('fault', (f: AuditFault) => faults.push(f));
      const inFlight = abortedRequest(app.url, '/slow', 200);
      await waitFor(() => app.observed.calls.slow === 1, 3000, 'the slow handler');
      await app.auditor.close();
      await inFlight;
      await waitFor(() => faults.length > 0, 3000, 'the fault');
      await app.close();
      assert.deepEqual(faults.map((f) => f.code), ['AUDITKIT_CLOSED']);
      const [sink] = Object.values(app.auditor.stats().sinks);
      assert.deepEqual([sink!.accepted, sink!.dropped], [0, 1]);
    });
  });
}
