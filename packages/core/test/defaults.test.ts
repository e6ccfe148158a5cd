import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import winston from 'winston';
import { Auditor, DEFAULT_MASKED_HEADERS, DEFAULT_REDACT_KEYS, type AuditOptions } from '../src/index.js';
import { resolveOptions } from '../src/options.js';
import { recordHeaders } from '../src/record/headers.js';
import { redactJson } from '../src/redact/redact.js';

/**
 * Every default the docs state (docs/options.md), one case each, with the expected values written out:
 * removing or changing a default fails a case here. The lists may grow (issue 17); these are the
 * entries that must stay.
 */

const noHook = (): void => {
  throw new Error('unexpected hook failure');
};
/** Options with a transport, so resolving them opens no default file. */
const resolved = (options: AuditOptions = {}) => resolveOptions({ transports: [new winston.transports.Stream({ stream: new PassThrough() })], ...options }, noHook);

const body = (value: unknown, options: AuditOptions = {}): unknown => {
  const o = resolved(options);
  return JSON.parse(redactJson(o.redaction, 'body', value, o.limits.bodyBytes).json!);
};

describe('default keywords', () => {
  it('the documented list is the default', () => {
    for (const keyword of [
      'password', 'passwd', 'pwd', 'passphrase', 'secret', 'token', 'api_key', 'apikey', 'access_key', 'access_token',
      'refresh_token', 'private_key', 'client_secret', 'credential', 'authorization', 'cookie', 'session_id', 'ssn',
      'card_number', 'card_no', 'cvv', 'cvc', 'pin', 'otp',
    ]) {
      assert.ok(DEFAULT_REDACT_KEYS.includes(keyword), `${keyword} is a default keyword`);
    }
  });

  /**
   * One key per keyword that only that keyword matches, so removing it leaves the value in clear.
   * `access_token`, `refresh_token` (inside `token`), `client_secret` (inside `secret`) and `api_key`
   * (the same letters as `apikey`) cannot be told apart from the keyword they contain: for them the
   * list above is the pin.
   */
  const cases: Array<[keyword: string, key: string]> = [
    ['password', 'newPassword'],
    ['passwd', 'old_passwd'],
    ['pwd', 'db_pwd'],
    ['passphrase', 'keyPassphrase'],
    ['secret', 'webhookSecret'],
    ['token', 'csrfToken'],
    ['apikey', 'x-api-key'],
    ['access_key', 'awsAccessKey'],
    ['access_token', 'access_token'],
    ['refresh_token', 'refreshToken'],
    ['private_key', 'privateKeyPem'],
    ['client_secret', 'client_secret'],
    ['credential', 'credentials'],
    ['authorization', 'proxyAuthorization'],
    ['cookie', 'cookieJar'],
    ['session_id', 'sessionId'],
    ['ssn', 'userSSN'],
    ['card_number', 'cardNumber'],
    ['card_no', 'card_no'],
    ['cvv', 'cvv2'],
    ['cvc', 'card_cvc'],
    ['pin', 'atmPin'],
    ['otp', 'otp_code'],
  ];
  for (const [keyword, key] of cases) {
    it(`${keyword}: "${key}" is masked`, () => {
      assert.deepEqual(body({ [key]: 'value-1', plain: 'kept' }), { [key]: '******', plain: 'kept' });
    });
  }

  it('short keywords match whole words only', () => {
    assert.deepEqual(body({ shipping: 1, className: 2, topic: 3, spinner: 4, cvcs: 5 }), { className: 2, cvcs: 5, shipping: 1, spinner: 4, topic: 3 });
  });

  it('the mask is ****** and the mode is mask', () => {
    assert.deepEqual(body({ password: { nested: true } }), { password: '******' });
  });

  it('redact.defaults: false starts from no keywords and no masked headers', () => {
    const o = resolved({ redact: { defaults: false } });
    assert.equal(redactJson(o.redaction, 'body', { password: 'p' }, 1000).json, '{"password":"p"}');
    assert.equal(recordHeaders({ authorization: 'Basic x' }, o.maskedHeaders, o.redaction, o.redaction.maskJson), '{"authorization":"Basic x"}');
  });
});

describe('default masked headers', () => {
  it('the documented list is the default', () => {
    for (const h of ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'api-key', 'x-auth-token']) {
      assert.ok(DEFAULT_MASKED_HEADERS.includes(h), `${h} is masked by default`);
    }
  });

  // In remove mode a keyword drops the header; a masked header is still there, masked.
  for (const header of ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'api-key', 'x-auth-token']) {
    it(`${header} is masked, also under redact.mode remove`, () => {
      for (const mode of ['mask', 'remove'] as const) {
        const o = resolved({ redact: { mode } });
        assert.equal(recordHeaders({ [header]: 'v-1', accept: 'text/plain' }, o.maskedHeaders, o.redaction, o.redaction.maskJson), `{"accept":"text/plain","${header}":"******"}`, mode);
      }
    });
  }

  it('names are matched case-insensitively and redact.headers adds to the defaults', () => {
    const o = resolved({ redact: { headers: ['X-Ticket'] } });
    assert.equal(recordHeaders({ 'x-ticket': 't', 'x-auth-token': 'a', 'x-plain': 'p' }, o.maskedHeaders, o.redaction, o.redaction.maskJson), '{"x-auth-token":"******","x-plain":"p","x-ticket":"******"}');
  });
});

describe('default limits and queue', () => {
  it('resolve to the values docs/options.md states', () => {
    const o = resolved();
    assert.deepEqual(o.limits, { bodyBytes: 8192, metaBytes: 8192, depth: 32, userAgent: 1024, recordBytes: 102400 });
    assert.deepEqual(o.queue, { max: 10000, batch: 256, retryMs: 100, retryMaxMs: 5000, writeTimeoutMs: 10000 });
    assert.deepEqual(o.spool, { dir: './log/spool', maxBytes: 268435456 });
    assert.deepEqual([o.requestIdHeader, o.success, o.lifecycle, o.from], ['x-request-id', 'all', false, 'rest_api']);
    assert.equal(o.sinks[0]!.mode, 'async');
  });

  it('depth: 32 levels of objects are kept, the 33rd is cut', () => {
    const nest = (n: number): unknown => (n === 0 ? 'leaf' : { a: nest(n - 1) });
    const o = resolved();
    const walk = (v: unknown) => redactJson(o.redaction, 'body', v, 1_000_000);
    assert.equal(walk(nest(32)).json, '{"a":'.repeat(32) + '"leaf"' + '}'.repeat(32));
    assert.equal(walk(nest(33)).json, '{"a":'.repeat(32) + '"[Truncated: depth]"' + '}'.repeat(32));
  });

  const eventRecord = async (options: AuditOptions, meta: Record<string, unknown>) => {
    const file = join(mkdtempSync(join(tmpdir(), 'auditkit-defaults-')), 'audit.log');
    const auditor = new Auditor({ file, ...options });
    auditor.on('fault', () => undefined);
    await auditor.event('pin.limits', { meta });
    await auditor.close();
    const text = readFileSync(file, 'utf8');
    return text === '' ? undefined : (JSON.parse(text.trim()) as { meta: Record<string, unknown>; truncated: boolean });
  };

  it('metaBytes: 7,900 characters of meta are kept whole, 8,300 are cut', async () => {
    const small = await eventRecord({}, { note: 'a'.repeat(7900) });
    assert.deepEqual([(small!.meta.note as string).length, small!.truncated], [7900, false]);
    const large = await eventRecord({}, { note: 'b'.repeat(8300) });
    assert.equal(large!.truncated, true);
    assert.ok((large!.meta.note as string).endsWith('…[truncated]'));
    assert.ok((large!.meta.note as string).length < 8192);
  });

  it('recordBytes: a 99,000-byte record is kept whole, one of 103,000 loses its meta', async () => {
    const limits = { metaBytes: 400_000 };
    const small = await eventRecord({ limits }, { note: 'a'.repeat(99_000) });
    assert.deepEqual([(small!.meta.note as string).length, small!.truncated], [99_000, false]);
    const large = await eventRecord({ limits }, { note: 'b'.repeat(103_000) });
    assert.deepEqual([large!.meta, large!.truncated], [{}, true]);
  });
});

describe('default policy and modes', () => {
  it('GET, HEAD and OPTIONS are not audited by default; POST, PUT, PATCH and DELETE are', () => {
    const { policy } = resolved();
    const audited = (method: string) => policy.decide(method, '/api/users/:id', undefined).audit;
    assert.deepEqual(
      ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE'].map((m) => [m, audited(m)]),
      [['GET', false], ['HEAD', false], ['OPTIONS', false], ['POST', true], ['PUT', true], ['PATCH', true], ['DELETE', true]],
    );
  });

  it('each default high-frequency route is skipped, even for POST', () => {
    const { policy } = resolved();
    for (const route of ['/health', '/healthz', '/livez', '/readyz', '/ping', '/metrics', '/jobs/heartbeat', '/a/b/heartbeat']) {
      assert.equal(policy.decide('POST', route, undefined).audit, false, route);
    }
    assert.equal(policy.decide('POST', '/healthcheck', undefined).audit, true, 'only the listed routes');
  });

  it('strict: true makes every sink without its own mode strict', () => {
    const o = resolved({ strict: true });
    assert.deepEqual(o.sinks.map((s) => s.mode), ['strict']);
  });
});

