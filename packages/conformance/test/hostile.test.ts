import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import request from 'supertest';
import { FRAMEWORKS, type RunningApp } from '../src/apps.js';
import { requestRecords, schemaErrors } from '../src/records.js';
import { withApp } from './helpers.js';

/**
 * Hostile input is recorded safely: nothing crashes, nothing is polluted, every record stays one
 * line of valid JSON. Frameworks differ in what they accept (Fastify and @koa/bodyparser refuse
 * `__proto__` bodies with 400; Express parses them), so expectations here are per framework.
 */

function rawRequest(app: RunningApp, head: string, body: Buffer | string = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const { port } = new URL(app.url);
    const payload = Buffer.isBuffer(body) ? body : Buffer.from(body);
    const socket = net.connect(Number(port), '127.0.0.1', () => {
      socket.write(`${head}Content-Length: ${payload.length}\r\nConnection: close\r\n\r\n`);
      socket.end(payload);
    });
    let data = '';
    socket.on('data', (c) => (data += c));
    socket.on('error', reject);
    socket.on('close', () => resolve(data.split('\r\n')[0] ?? ''));
  });
}

for (const framework of FRAMEWORKS) {
  describe(`hostile input (${framework})`, () => {
    it('__proto__ and constructor keys are kept as data and pollute nothing', async () => {
      const body = '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"name":"x"}';
      let status = 0;
      const { records, text } = await withApp(framework, {}, async (app) => {
        status = (await request(app.url).post('/echo').set('content-type', 'application/json').send(body)).status;
        // The application still serves normally afterwards.
        assert.equal((await request(app.url).post('/api/users/1').send({})).status, 201);
      });
      assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype is untouched');
      const r = requestRecords(records)[0]!;
      if (framework !== 'express') {
        // Fastify (secure-json-parse) and @koa/bodyparser (bourne) refuse prototype poisoning themselves.
        assert.equal(status, 400);
        assert.equal(r.http_status_code, 400);
        assert.equal(r.http_request.body_recorded, 'summary');
      } else {
        assert.equal(status, 200);
        const recorded = r.http_request.body as Record<string, unknown>;
        assert.ok(Object.prototype.hasOwnProperty.call(recorded, '__proto__'), 'the key is in the record');
        assert.deepEqual(Object.getOwnPropertyDescriptor(recorded, '__proto__')!.value, { polluted: 'yes' });
        assert.equal(Object.getPrototypeOf(recorded), Object.prototype);
        assert.ok(text.includes('"__proto__":{"polluted":"yes"}'), 'the attempt is visible to an auditor');
      }
      assert.equal(records.length, 2);
    });

    it('10,000-deep nesting is cut at the depth limit', async () => {
      const deep = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
      let status = 0;
      const { records } = await withApp(framework, {}, async (app) => {
        status = (await request(app.url).post('/echo').set('content-type', 'application/json').send(deep)).status;
        assert.equal((await request(app.url).post('/api/users/1').send({})).status, 201);
      });
      const r = requestRecords(records)[0]!;
      assert.equal(r.http_status_code, status);
      if (r.http_request.body_recorded !== 'summary') {
        assert.equal(r.truncated, true);
        assert.ok(JSON.stringify(r.http_request.body).includes('[Truncated: depth]'));
        let depth = 0;
        let node: unknown = r.http_request.body;
        while (node && typeof node === 'object') {
          node = (node as { a: unknown }).a;
          depth++;
        }
        assert.ok(depth <= 32, `recorded depth ${depth}`);
      }
      assert.equal(records.length, 2);
    });

    it('invalid UTF-8 and lone surrogates become U+FFFD, and the line stays valid JSON', async () => {
      const bytes = Buffer.concat([Buffer.from('{"name":"caf'), Buffer.from([0xff, 0xfe]), Buffer.from('","s":"\\ud800x","k\\udfff":1}')]);
      const { records, text } = await withApp(framework, {}, async (app) => {
        assert.match(await rawRequest(app, 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n', bytes), /^HTTP\/1.1 200/);
      });
      const r = requestRecords(records)[0]!;
      const body = r.http_request.body as Record<string, string>;
      assert.equal(body.name, 'caf\ufffd\ufffd');
      assert.equal(body.s, '\ufffdx');
      assert.ok('k\ufffd' in body);
      assert.ok(Buffer.from(text, 'utf8').toString('utf8') === text && text.isWellFormed());
    });

    it('CR, LF and NUL from the request never break a line', async () => {
      const { records, text } = await withApp(
        framework,
        {},
        async (app) => {
          await request(app.url).post('/echo?note=line1%0D%0A%7B%22forged%22%3Atrue%7D').send({ note: 'a\r\n{"forged":true}\n' });
          // With the lenient parser Node lets NUL through and turns a bare LF into a second header line.
          const status = await rawRequest(app, 'POST /echo HTTP/1.1\r\nHost: x\r\nX-Nul: a\u0000b\r\nX-Split: a\nInjected: 1\r\nContent-Type: application/json\r\n', '{}');
          assert.match(status, /^HTTP\/1.1 200/);
          // A bare CR is refused by Node's parser before any framework sees it.
          const refused = await rawRequest(app, 'POST /echo HTTP/1.1\r\nHost: x\r\nX-Evil: a\rb\r\n', '{}');
          assert.match(refused, /^HTTP\/1.1 400/);
        },
        { insecureHTTPParser: true },
      );
      const lines = text.split('\n').filter(Boolean);
      assert.equal(lines.length, 2, 'two requests reached the app, two lines');
      assert.equal(records.length, 2);
      const [first, second] = requestRecords(records) as [any, any];
      assert.equal(first.query_string.note, 'line1\r\n{"forged":true}');
      assert.equal(first.http_request.body.note, 'a\r\n{"forged":true}\n');
      assert.equal(second.http_request.headers['x-nul'], 'a\u0000b');
      for (const r of records) assert.equal(schemaErrors(r), undefined);
    });

    it('a huge body over the framework limit is recorded with its real status', async () => {
      const huge = JSON.stringify({ blob: 'x'.repeat(2 * 1024 * 1024) });
      let status = 0;
      const { records } = await withApp(framework, {}, async (app) => {
        status = (await request(app.url).post('/echo').set('content-type', 'application/json').send(huge)).status;
      });
      assert.equal(status, 413);
      const r = requestRecords(records)[0]!;
      assert.equal(r.http_status_code, 413);
      assert.equal(r.http_request.body_recorded, 'summary');
      assert.equal(r.http_request.body_bytes, Buffer.byteLength(huge));
    });
  });
}
