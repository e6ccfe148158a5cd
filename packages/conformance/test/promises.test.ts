import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { writeFileSync, rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import express from 'express';
import request from 'supertest';
import winston from 'winston';
import { audit as expressAudit } from '@auditkit/express';
import { AuditConfigError, AuditFileTransport, type AuditFault, type RequestRecord } from '@auditkit/core';
import { FRAMEWORKS, startApp } from '../src/apps.js';
import { readRecords, requestRecords, tempDir } from '../src/records.js';
import { jwt, JWT_AUDIENCE, JWT_ISSUER, JWT_SECRET, waitFor, withApp } from './helpers.js';

/**
 * Promises README.md and docs/ make that no test held (issue 18): each case here failed against a
 * small change to the core that the rest of the suite let through. Expected values are written out.
 */

const only = (records: RequestRecord[] | ReturnType<typeof readRecords>): RequestRecord => {
  const reqs = requestRecords(records as never);
  assert.equal(reqs.length, 1, `one request record, got ${reqs.length}`);
  return reqs[0]!;
};

const UUIDV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

for (const framework of FRAMEWORKS) {
  describe(`promises (${framework})`, () => {
    it('a body key containing "credential" is masked (default keyword)', async () => {
      const { records } = await withApp(framework, {}, async (app) => {
        await request(app.url).post('/echo').send({ credentials: { user: 'ann', pass: 'pw-1' }, awsCredential: 'AKIA-1', note: 'kept' });
      });
      assert.deepEqual(only(records).http_request.body, { awsCredential: '******', credentials: '******', note: 'kept' });
    });

    it('the body cap is 8 KiB by default: 7,900 characters are kept whole, 8,300 are cut', async () => {
      const { records } = await withApp(framework, {}, async (app) => {
        await request(app.url).post('/echo').set('x-request-id', 'small').send({ note: 'a'.repeat(7900) });
        await request(app.url).post('/echo').set('x-request-id', 'large').send({ note: 'b'.repeat(8300) });
      });
      const by = Object.fromEntries(requestRecords(records).map((r) => [r.request_id, r]));
      assert.equal(by.small!.http_request.body_recorded, 'full');
      assert.equal((by.small!.http_request.body as { note: string }).note.length, 7900);
      assert.equal(by.small!.truncated, false);
      assert.equal(by.large!.http_request.body_recorded, 'truncated');
      assert.equal(by.large!.truncated, true);
      const note = (by.large!.http_request.body as { note: string }).note;
      assert.ok(note.endsWith('…[truncated]'), note.slice(-20));
      assert.ok(note.length < 8192, `${note.length} characters`);
    });

    it('a generated request id is the one echoed in the response', async () => {
      let echoed: string | undefined;
      const { records } = await withApp(framework, {}, async (app) => {
        echoed = (await request(app.url).post('/api/users/1').send({})).headers['x-request-id'] as string | undefined;
      });
      assert.match(echoed ?? '', UUIDV7);
      assert.equal(only(records).request_id, echoed);
    });

    it('every default masked header is masked even when the keyword mode is remove or hmac', async () => {
      for (const redact of [{ mode: 'remove' as const }, { mode: 'hmac' as const, hmacKey: 'a-key-of-at-least-16-bytes' }]) {
        const { records } = await withApp(framework, { redact }, async (app) => {
          await request(app.url)
            .post('/api/users/1')
            .set('authorization', 'Bearer not-a-jwt')
            .set('proxy-authorization', 'Basic cHJveHk6cHc=')
            .set('cookie', 'sid=s-1')
            .set('set-cookie', 'sid=s-2')
            .set('x-api-key', 'ak-1')
            .set('api-key', 'ak-2')
            .set('x-auth-token', 'tok-1')
            .send({});
        });
        const headers = only(records).http_request.headers as Record<string, unknown>;
        const masked = Object.fromEntries(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'api-key', 'x-auth-token'].map((h) => [h, headers[h]]));
        assert.deepEqual(
          masked,
          {
            authorization: '******',
            'proxy-authorization': '******',
            cookie: '******',
            'set-cookie': '******',
            'x-api-key': '******',
            'api-key': '******',
            'x-auth-token': '******',
          },
          redact.mode,
        );
      }
    });

    it('redact.headers adds a header that no keyword matches', async () => {
      const { records } = await withApp(framework, { redact: { headers: ['X-Ticket'] } }, async (app) => {
        await request(app.url).post('/api/users/1').set('x-ticket', 't-1').set('x-other', 'o-1').send({});
      });
      const headers = only(records).http_request.headers as Record<string, unknown>;
      assert.deepEqual([headers['x-ticket'], headers['x-other']], ['******', 'o-1']);
    });
  });
}

/** An Express app whose route sends its status and a first chunk, then waits for the client to leave. */
async function streamingApp(file: string) {
  const app = express();
  const middleware = expressAudit({ file });
  app.use(middleware);
  app.post('/stream', (req, res) => {
    res.status(200).setHeader('content-type', 'text/plain');
    res.write('first chunk\n');
    req.socket.once('close', () => res.end());
  });
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { middleware, server, port: (server.address() as AddressInfo).port };
}

describe('an aborted request', () => {
  it('is a failure even when its 200 had been sent', async () => {
    const file = join(tempDir(), 'audit.log');
    const { middleware, server, port } = await streamingApp(file);
    try {
      await new Promise<void>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, path: '/stream', method: 'POST', headers: { 'x-request-id': 'left-after-headers' } });
        req.on('response', (res) => res.once('data', () => {
          req.destroy();
          resolve();
        }));
        req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
        req.end();
      });
      await waitFor(() => Object.values(middleware.stats().sinks)[0]!.accepted === 1, 3000, 'the record');
    } finally {
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      await middleware.close();
    }
    const r = only(readRecords(file));
    assert.deepEqual(
      [r.request_id, r.aborted, r.http_status_code, r.operation_result, r.level],
      ['left-after-headers', true, 200, 'failure', 'warn'],
    );
  });
});

describe('a verified JWT', () => {
  it('is not verified any more once its exp has passed, though its first result was cached', async () => {
    const exp = Math.floor(Date.now() / 1000) + 2;
    const token = await jwt({ sub: 'ann' }, { expiresIn: exp });
    const { records } = await withApp('express', { auth: { jwt: { verify: { secret: JWT_SECRET, issuer: JWT_ISSUER, audience: JWT_AUDIENCE } } } }, async (app) => {
      await request(app.url).post('/api/users/1').set('authorization', `Bearer ${token}`).set('x-request-id', 'before-exp').send({});
      await waitFor(() => Object.values(app.auditor.stats().sinks)[0]!.accepted === 1, 3000, 'the first record');
      // jose compares whole seconds: wait until the token's exp second is over.
      await new Promise((r) => setTimeout(r, exp * 1000 - Date.now() + 1100));
      await request(app.url).post('/api/users/1').set('authorization', `Bearer ${token}`).set('x-request-id', 'after-exp').send({});
    });
    const by = Object.fromEntries(requestRecords(records).map((r) => [r.request_id, [r.source, r.source_verified, r.auth_error]]));
    assert.deepEqual(by, { 'before-exp': ['ann', true, null], 'after-exp': ['ann', false, 'expired'] });
  });

  it("RFC 7519's example token (signed with RFC 7515's A.1 key) passes the signature check, and a wrong key does not", async () => {
    // RFC 7515 appendix A.1: the HS256 example JWS and its symmetric key (a JWK "k").
    const token =
      'eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    const key = Buffer.from('AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow', 'base64url');
    const wrong = Buffer.from(key);
    wrong[0]! ^= 1;
    const outcome = async (secret: Buffer) => {
      const { records } = await withApp('express', { auth: { jwt: { claim: 'iss', verify: { secret: new Uint8Array(secret), issuer: 'joe', audience: 'anyone' } } } }, async (app) => {
        await request(app.url).post('/api/users/1').set('authorization', `Bearer ${token}`).send({});
      });
      const r = only(records);
      return [r.auth_type, r.source, r.source_verified, r.auth_error];
    };
    // The signature is good; the token has no "aud" (and expired in 2011), so it is still not verified.
    assert.deepEqual(await outcome(key), ['jwt_token', 'joe', false, 'claim_invalid']);
    assert.deepEqual(await outcome(wrong), ['jwt_token', 'joe', false, 'bad_signature']);
  });
});

describe('strict mode and a sink known to be down', () => {
  it('a full disk: the first request gets 503 after its handler, the next is refused before it', async () => {
    const dir = tempDir('auditkit-tmpfs-');
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0755', 'tmpfs', dir], { encoding: 'utf8' });
    assert.equal(mount.status, 0, `mounting a tmpfs needs root: ${mount.stderr}`);
    try {
      const file = join(dir, 'audit.log');
      const transport = new AuditFileTransport({ path: file });
      // Fill every byte the file system has left.
      try {
        writeFileSync(join(dir, 'filler'), Buffer.alloc(128 * 1024));
      } catch (err) {
        assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
      }
      const app = await startApp('express', { audit: { sinks: [{ transport, mode: 'strict', queue: { retryMs: 50, retryMaxMs: 100 } }] } });
      const faults: AuditFault[] = [];
      app.auditor.on('fault', (f: AuditFault) => faults.push(f));
      try {
        assert.equal((await request(app.url).post('/api/users/1').send({})).status, 503, 'its record could not be written');
        assert.equal(app.observed.calls.createUser, 1, 'the handler ran');
        assert.ok(faults.some((f) => (f.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOSPC'), 'ENOSPC reported');
        const refused = await request(app.url).post('/api/users/2').send({});
        assert.equal(refused.status, 503);
        assert.equal(refused.body.error, 'audit_unavailable');
        assert.equal(app.observed.calls.createUser, 1, 'the sink is known to be down: refused before the handler');
        rmSync(join(dir, 'filler'));
        await waitFor(() => Object.values(app.auditor.stats().sinks)[0]!.queued === 0, 5000, 'the kept record to be written');
        assert.equal((await request(app.url).post('/api/users/3').send({})).status, 201, 'space again: accepted');
      } finally {
        await app.close();
      }
      assert.deepEqual(requestRecords(readRecords(file)).map((r) => (r.bindings as { id: string }).id), ['1', '3']);
    } finally {
      spawnSync('umount', ['-l', dir]);
    }
  });
});

describe('transport levels', () => {
  const tempFile = () => join(tempDir(), 'x.log');

  it('a transport at level warn is refused: it would drop every info record', () => {
    assert.throws(
      () => expressAudit({ transports: [new winston.transports.File({ filename: tempFile(), level: 'warn' })] }),
      (err: unknown) => err instanceof AuditConfigError && /options\.transports\[0\]: has level "warn"/.test(err.message),
    );
  });

  it('a transport at the syslog level "warning" is refused', () => {
    assert.throws(
      () => expressAudit({ transports: [new winston.transports.File({ filename: tempFile(), level: 'warning' })] }),
      (err: unknown) => err instanceof AuditConfigError && /options\.transports\[0\]/.test(err.message) && /warning/.test(err.message),
    );
  });

  it('a logger created at level warn is refused', () => {
    const logger = winston.createLogger({ level: 'warn', transports: [new winston.transports.File({ filename: tempFile() })] });
    assert.throws(
      () => expressAudit({ logger }),
      (err: unknown) => err instanceof AuditConfigError && /options\.logger/.test(err.message) && /warn/.test(err.message),
    );
  });
});

describe('ts outside UTC', () => {
  const child = fileURLToPath(new URL('./fixtures/ts-child.ts', import.meta.url));
  const run = (tz: string): { ts: string; time: number; offset: number } => {
    const r = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), child, tempDir()], { env: { ...process.env, TZ: tz, NODE_NO_WARNINGS: '1' }, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  };

  /** `time` (µs) written out by hand at a fixed offset in minutes, as RFC 3339. */
  const expected = (time: number, minutes: number, suffix: string): string => {
    const d = new Date(Math.floor(time / 1000) + minutes * 60_000);
    const p = (n: number, w = 2) => String(n).padStart(w, '0');
    return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}T${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(time % 1_000_000, 6)}${suffix}`;
  };

  it('TZ=Asia/Kolkata: the record says +05:30, and its wall time is five and a half hours ahead of UTC', () => {
    const { ts, time, offset } = run('Asia/Kolkata');
    assert.equal(offset, -330, 'the child runs in Kolkata');
    assert.equal(ts, expected(time, 330, '+05:30'));
  });

  it('TZ=America/New_York: the record carries the offset in force (-05:00 in winter, -04:00 in summer)', () => {
    const { ts, time, offset } = run('America/New_York');
    assert.ok(offset === 300 || offset === 240, `offset ${offset}`);
    assert.equal(ts, offset === 300 ? expected(time, -300, '-05:00') : expected(time, -240, '-04:00'));
  });
});

describe('default limits on a request record', () => {
  it('user_agent: 1,024 characters are kept, 1,025 are cut to 1,024 and marked', async () => {
    const { records } = await withApp('express', {}, async (app) => {
      await request(app.url).post('/api/users/1').set('x-request-id', 'at-cap').set('user-agent', 'u'.repeat(1024)).send({});
      await request(app.url).post('/api/users/2').set('x-request-id', 'over-cap').set('user-agent', 'v'.repeat(1025)).send({});
    });
    const by = Object.fromEntries(requestRecords(records).map((r) => [r.request_id, r.user_agent]));
    assert.deepEqual(by, { 'at-cap': 'u'.repeat(1024), 'over-cap': 'v'.repeat(1024) + '…[truncated]' });
  });

  it('recordBytes: a record of about 99 KB keeps its body, one of about 104 KB loses it', async () => {
    const { records } = await withApp('express', { limits: { bodyBytes: 400_000 } }, async (app) => {
      await request(app.url).post('/echo').set('x-request-id', 'under').send({ note: 'a'.repeat(98_000) });
      await request(app.url).post('/echo').set('x-request-id', 'over').send({ note: 'b'.repeat(103_000) });
    });
    const by = Object.fromEntries(requestRecords(records).map((r) => [r.request_id, r]));
    assert.deepEqual([by.under!.http_request.body_recorded, (by.under!.http_request.body as { note: string }).note.length], ['full', 98_000]);
    assert.deepEqual([by.over!.http_request.body_recorded, by.over!.http_request.body, by.over!.truncated], ['truncated', null, true]);
  });
});

describe('what a request record says', () => {
  it('operation_result: a 303 after a POST is a success, a 400 a failure', async () => {
    const { records } = await withApp('express', {}, async (app) => {
      for (const code of [303, 399, 400]) await request(app.url).post(`/status/${code}`).set('x-request-id', `s${code}`).send({});
    });
    const by = Object.fromEntries(requestRecords(records).map((r) => [r.request_id, [r.http_status_code, r.operation_result, r.level]]));
    assert.deepEqual(by, { s303: [303, 'success', 'info'], s399: [399, 'success', 'info'], s400: [400, 'failure', 'warn'] });
  });

  it('an unacceptable incoming request id is replaced by a generated one, and that one is echoed', async () => {
    const echoed: string[] = [];
    const { records } = await withApp('express', {}, async (app) => {
      for (const id of ['has space', 'x'.repeat(129), 'tab\there']) echoed.push((await request(app.url).post('/api/users/1').set('x-request-id', id).send({})).headers['x-request-id'] as string);
      echoed.push((await request(app.url).post('/api/users/1').set('x-request-id', 'x'.repeat(128)).send({})).headers['x-request-id'] as string);
    });
    const ids = requestRecords(records).map((r) => r.request_id);
    assert.deepEqual(ids, echoed);
    for (const id of ids.slice(0, 3)) assert.match(id, UUIDV7);
    assert.equal(ids[3], 'x'.repeat(128), '128 printable characters are kept');
  });
});

describe('strict admission counts the places promised to requests still running', () => {
  it('with one place, taken by a running handler, the next request is refused; with success "any", a second sink with room lets it in', async () => {
    for (const success of ['all', 'any'] as const) {
      const dir = tempDir();
      const app = await startApp('express', {
        audit: {
          success,
          sinks: [
            { transport: new AuditFileTransport({ path: join(dir, 'one-place.log') }), mode: 'strict', queue: { max: 1 } },
            { transport: new AuditFileTransport({ path: join(dir, 'roomy.log') }), mode: 'strict' },
          ],
        },
      });
      app.auditor.on('fault', () => undefined);
      try {
        // /slow answers after 2 s: its record's place is reserved all that time, though nothing is queued.
        const slow = request(app.url).post('/slow').send({}).then((r) => r.status);
        await waitFor(() => app.observed.calls.slow === 1, 3000, 'the slow handler');
        const next = await request(app.url).post('/api/users/1').send({});
        assert.equal(next.status, success === 'all' ? 503 : 201, success);
        assert.equal(app.observed.calls.createUser ?? 0, success === 'all' ? 0 : 1, 'a refused request never reaches its handler');
        assert.equal(await slow, 200);
      } finally {
        await app.close();
      }
    }
  });
});
