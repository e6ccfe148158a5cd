import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import winston from 'winston';
import type { AuditOptions } from '../src/index.js';
import { AuthDetector } from '../src/auth/auth.js';
import { resolveOptions } from '../src/options.js';
import { recordBody } from '../src/record/body.js';
import { redactJson } from '../src/redact/redact.js';

/**
 * Decision points that the mutation run (scripts/mutants.mjs, docs/testing.md) found held by no fast
 * test: which rule wins on a key, an empty body, a Basic credential without a user name.
 */

const noHook = (): void => {
  throw new Error('unexpected hook failure');
};
const resolved = (options: AuditOptions = {}) => resolveOptions({ transports: [new winston.transports.Stream({ stream: new PassThrough() })], ...options }, noHook);
const body = (value: unknown, options: AuditOptions = {}): string | undefined => {
  const o = resolved(options);
  return redactJson(o.redaction, 'body', value, o.limits.bodyBytes).json;
};

describe('which rule applies to a key', () => {
  it("a user keyword that flattens to a default one replaces its mode (redact.keys come last)", () => {
    assert.equal(body({ token: 't', csrfToken: 'c', note: 'n' }, { redact: { keys: [{ key: 'token', mode: 'remove' }] } }), '{"note":"n"}');
  });

  it("a path rule wins over a keyword on the same key", () => {
    assert.equal(body({ password: 'p', nested: { password: 'q' } }, { redact: { paths: [{ path: 'body.password', mode: 'remove' }] } }), '{"nested":{"password":"******"}}');
  });
});

describe('the recorded body', () => {
  const rules = resolved().redaction;
  it("an empty object with no content-length (what a body parser leaves for no body) is 'none'", () => {
    assert.deepEqual(recordBody({}, {}, rules, 8192), { json: 'null', body_type: null, body_bytes: null, body_recorded: 'none', truncated: false });
  });

  it("an empty JSON object that was sent is recorded as sent", () => {
    assert.deepEqual(recordBody({}, { 'content-type': 'application/json', 'content-length': '2' }, rules, 8192), {
      json: '{}',
      body_type: 'application/json',
      body_bytes: 2,
      body_recorded: 'full',
      truncated: false,
    });
  });
});

describe('Basic credentials', () => {
  it('an empty user name is malformed, not an operator called ""', () => {
    const d = new AuthDetector(undefined, noHook);
    assert.deepEqual(d.detect({ authorization: 'Basic ' + Buffer.from(':secret').toString('base64') }), { type: 'basic', source: null, verified: false, error: 'malformed' });
  });
});
