import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createAuditor } from '../src/index.js';
import { recordResponseBody } from '../src/record/response-body.js';
import { responseFacts } from '../src/capture/facts.js';

/** The response body at level request-response: what a handler answered, as the record holds it. */

const auditor = createAuditor({ file: join(mkdtempSync(join(tmpdir(), 'auditkit-response-')), 'audit.log'), redact: { paths: ['body.card.number'] } });
after(() => auditor.close());
const rules = auditor.options.redaction;
const json = (body: unknown, type = 'application/json; charset=utf-8', encoding?: string) =>
  recordResponseBody({ body, contentType: type, contentLength: undefined, contentEncoding: encoding }, rules, 8192);

describe('the recorded response body', () => {
  it('a JSON text is parsed back and redacted by the request body’s rules', () => {
    const r = json('{"card":{"number":"4111111111111111"},"token":"t-1","ok":true}');
    assert.equal(r.json, '{"card":{"number":"******"},"ok":true,"token":"******"}');
    assert.equal(r.body_recorded, 'full');
    assert.equal(r.body_type, 'application/json');
    assert.equal(r.body_bytes, 62);
  });

  it('what is not JSON, or claims to be and is not, is summarised, never recorded raw', () => {
    assert.deepEqual({ ...json('<b>secret page</b>', 'text/html') }, { json: 'null', body_type: 'text/html', body_bytes: 18, body_recorded: 'summary', truncated: false });
    assert.equal(json('{"password": "hunter2"', 'application/json').body_recorded, 'summary');
    assert.equal(json('{"password": "hunter2"', 'application/json').json, 'null');
  });

  it('compressed bytes are never decoded, and a stream is summarised', () => {
    const gz = json(gzipSync('{"password":"hunter2"}'), 'application/json', 'gzip');
    assert.equal(gz.body_recorded, 'summary');
    assert.equal(gz.json, 'null');
    const stream = recordResponseBody(responseFacts(Readable.from(['x']), (n) => ({ 'content-type': 'application/octet-stream', 'content-length': '1234' })[n]), rules, 8192);
    assert.deepEqual({ ...stream }, { json: 'null', body_type: 'application/octet-stream', body_bytes: 1234, body_recorded: 'summary', truncated: false });
  });

  it('hostile keys stay data; an object the handler answered is taken as it is', () => {
    const r = json('{"__proto__":{"admin":true},"constructor":1}');
    assert.equal(r.json, '{"__proto__":{"admin":true},"constructor":1}');
    assert.equal(({} as { admin?: boolean }).admin, undefined);
    assert.equal(json({ password: 'x', n: 1 }, 'application/json', 'gzip').json, '{"n":1,"password":"******"}');
  });

  it('no body: none', () => {
    assert.equal(recordResponseBody(undefined, rules, 8192).body_recorded, 'none');
    assert.equal(recordResponseBody(responseFacts(undefined, () => undefined), rules, 8192).body_recorded, 'none');
  });
});
