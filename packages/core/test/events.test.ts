import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as ajv2020 from 'ajv/dist/2020.js';
import fastJsonPatch from 'fast-json-patch';
import { Auditor, type AuditOptions } from '../src/index.js';
import type { AuditFault } from '../src/shared/errors.js';
import { jsonPatch } from '../src/change/json-patch.js';

/** Application events: the public API, the record they leave, and what changed. */

const require = createRequire(import.meta.url);
type AjvClass = typeof ajv2020.Ajv2020;
const Ajv = ((ajv2020 as unknown as { default: AjvClass }).default ?? ajv2020.Ajv2020) as AjvClass;
const validate = new Ajv({ allErrors: true, strict: false }).compile(require('../schema/audit-record.schema.json') as object);

function setup(options: AuditOptions = {}): { auditor: Auditor; file: string; faults: AuditFault[] } {
  const file = join(mkdtempSync(join(tmpdir(), 'auditkit-events-')), 'audit.log');
  const auditor = new Auditor({ file, node: 'worker-1', timeOffset: 'utc', ...options });
  const faults: AuditFault[] = [];
  auditor.on('fault', (f: AuditFault) => faults.push(f));
  return { auditor, file, faults };
}

function read(file: string): Array<Record<string, unknown>> {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function stable(r: Record<string, unknown>): Record<string, unknown> {
  const { id, time, ts, duration_ms, ...rest } = r;
  assert.match(String(id), /^[0-9a-f]{8}-[0-9a-f]{4}-7/);
  assert.equal(typeof time, 'number');
  assert.match(String(ts), /Z$/);
  return { ...rest, duration_ms: typeof duration_ms === 'number' ? '<ms>' : duration_ms };
}

function assertSchema(records: Array<Record<string, unknown>>): void {
  for (const r of records) assert.ok(validate(r), `${String(r.event)}: ${JSON.stringify(validate.errors)}`);
}

describe('auditor.event()', () => {
  it('writes one event record with the request record names, redacted, and resolves once it is on disk', async () => {
    const { auditor, file } = setup();
    const written = await auditor.event('payout.sent', {
      operator: 'job:payouts',
      target: { type: 'payout', id: 'po_1' },
      meta: { amount: 1200, currency: 'EUR', apiToken: 'tok_live_123', bank: { iban: 'DE89', pin: '1234' } },
    });
    assert.equal(written, true);
    const [record] = read(file);
    await auditor.close();
    assert.deepEqual(stable(record!), {
      duration_ms: null,
      error_code: null,
      event: 'payout.sent',
      from: 'app',
      level: 'info',
      meta: { amount: 1200, apiToken: '******', bank: { iban: '******', pin: '******' }, currency: 'EUR' },
      node: 'worker-1',
      operation_id: 'payout.sent',
      operation_result: 'success',
      operation_type: 'payout',
      request_id: null,
      source: 'job:payouts',
      source_ip: null,
      source_verified: true,
      target: { id: 'po_1', type: 'payout' },
      truncated: false,
    });
    assertSchema(read(file));
  });

  it('a failure records the error code, never its message, and a claimed operator stays unverified', async () => {
    const { auditor, file } = setup();
    const err = Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:5432 password=hunter2'), { code: 'ECONNREFUSED' });
    await auditor.event('sync.customers', { from: 'queue', operator: { name: 'mallory', verified: false }, error: err, durationMs: 12.3456 });
    await auditor.event('sync.orders', { error: new TypeError('Cannot read properties of undefined (reading "secret")') });
    await auditor.close();
    const text = readFileSync(file, 'utf8');
    assert.ok(!text.includes('hunter2') && !text.includes('10.0.0.7') && !text.includes('reading'), 'no error message in the trail');
    const [a, b] = read(file);
    assert.deepEqual(
      [a!.operation_result, a!.level, a!.error_code, a!.from, a!.source, a!.source_verified, a!.duration_ms],
      ['failure', 'warn', 'ECONNREFUSED', 'queue', 'mallory', false, 12.346],
    );
    assert.deepEqual([b!.error_code, b!.source, b!.source_verified], ['TypeError', null, false]);
    assertSchema(read(file));
  });

  it('an attempt is written ahead, and its outcome shares its request_id', async () => {
    const { auditor, file } = setup();
    const op = auditor.attempt('account.delete', { operator: 'alice', target: { type: 'account', id: '7' }, meta: { reason: 'gdpr' } });
    assert.equal(await op.written, true);
    assert.deepEqual(read(file).map((r) => r.operation_result), ['attempt'], 'the attempt is on disk before the work starts');
    await op.failure(Object.assign(new Error('still has invoices'), { code: 'ACCOUNT_HAS_INVOICES' }), { meta: { invoices: 3 } });
    assert.equal(await op.success(), false, 'an attempt settles once');
    await auditor.close();
    const [attempt, outcome] = read(file);
    assert.equal(attempt!.request_id, op.id);
    assert.equal(outcome!.request_id, op.id);
    assert.deepEqual(
      [attempt!.level, attempt!.duration_ms, attempt!.error_code, outcome!.operation_result, outcome!.error_code, outcome!.meta],
      ['info', null, null, 'failure', 'ACCOUNT_HAS_INVOICES', { invoices: 3, reason: 'gdpr' }],
    );
    assert.equal(typeof outcome!.duration_ms, 'number');
    assert.equal(read(file).length, 2);
    assertSchema(read(file));
  });

  it('misuse is a fault, not an exception, and never passes off a name as auditkit’s own', async () => {
    const { auditor, file, faults } = setup();
    assert.equal(await auditor.event('bad name with spaces'), false);
    assert.equal(await auditor.event('audit.start'), false);
    assert.equal(await auditor.event('ok.event', { result: 'maybe' as never, operator: 42 as never, change: 'x' as never }), true);
    await auditor.close();
    const records = read(file);
    assert.deepEqual(
      records.map((r) => [r.event, r.operation_result, r.source]),
      [['ok.event', 'success', null]],
    );
    assert.equal(records[0]!.change, undefined);
    assert.equal(faults.length, 5);
    assert.ok(faults.every((f) => f.code === 'AUDITKIT_HOOK_FAILED' && f.message.includes('auditor.event()')));
  });

  it('hostile content is stored as data', async () => {
    const { auditor, file } = setup();
    const meta = JSON.parse('{"__proto__":{"isAdmin":true},"sql":"1; DROP TABLE audit;--","html":"<script>alert(1)</script>","ctl":"a\\u0000b\\u001b[31m"}') as Record<string, unknown>;
    await auditor.event('import.rows', { meta, target: { type: 'row', id: '<img src=x onerror=alert(1)>' } });
    await auditor.close();
    const [r] = read(file);
    assert.deepEqual(r!.meta, meta);
    assert.equal(({} as Record<string, unknown>).isAdmin, undefined);
    assertSchema([r!]);
  });

  it('a closed auditor says so: the event resolves false and nothing is written', async () => {
    const { auditor, file } = setup();
    await auditor.close();
    assert.equal(await auditor.event('late.event'), false);
    assert.equal(readFileSync(file, 'utf8'), '');
  });
});

describe('auditor.record(): the object form the query API uses', () => {
  it('writes the same event record, allows auditkit’s own audit.* names, carries the peer address', async () => {
    const { auditor, file } = setup();
    const ok = await auditor.record({
      event: 'audit.log.view',
      source: 'alice',
      from: 'rest_api',
      sourceIp: '10.1.2.3',
      requestId: 'req-1',
      target: { type: 'audit_log' },
      meta: { filters: { source: 'bob' }, password: 'hunter2', count: 3 },
    });
    assert.equal(ok, true);
    await auditor.record({ event: 'job.failed', result: 'failure', requestId: 'has spaces\n' });
    await auditor.close();
    const [view, failed] = read(file);
    assert.deepEqual(stable(view!), {
      duration_ms: null,
      error_code: null,
      event: 'audit.log.view',
      from: 'rest_api',
      level: 'info',
      meta: { count: 3, filters: { source: 'bob' }, password: '******' },
      node: 'worker-1',
      operation_id: 'audit.log.view',
      operation_result: 'success',
      operation_type: 'audit',
      request_id: 'req-1',
      source: 'alice',
      source_ip: '10.1.2.3',
      source_verified: true,
      target: { type: 'audit_log' },
      truncated: false,
    });
    assert.deepEqual([failed!.request_id, failed!.level, failed!.source_verified], [null, 'warn', false]);
    assertSchema(read(file));
  });

  it('resolves false only when a strict sink cannot take it; a malformed event is a fault', async () => {
    const { auditor, file, faults } = setup();
    assert.equal(await auditor.record({ event: 'has spaces' }), true);
    assert.equal(await auditor.record(null as never), true);
    await auditor.close();
    assert.equal(readFileSync(file, 'utf8'), '');
    assert.deepEqual(faults.map((f) => f.code), ['AUDITKIT_HOOK_FAILED', 'AUDITKIT_HOOK_FAILED']);
    assert.match(faults[0]!.message, /auditor\.record\(\) expects event/);
  });
});

describe('what changed', () => {
  it('records both states and the RFC 6902 patch between them', async () => {
    const { auditor, file } = setup();
    await auditor.event('user.role_changed', {
      operator: 'alice',
      target: { type: 'user', id: '42' },
      change: {
        before: { name: 'Bob', role: 'member', groups: ['dev', 'ops'], 'a/b': 1, 'm~n': { x: 1 } },
        after: { name: 'Bob', role: 'admin', groups: ['dev'], 'a/b': 2, 'm~n': { x: 1, y: [1] }, since: '2026-11-02' },
      },
    });
    await auditor.close();
    const [r] = read(file);
    assert.deepEqual(r!.change, {
      after: { 'a/b': 2, groups: ['dev'], 'm~n': { x: 1, y: [1] }, name: 'Bob', role: 'admin', since: '2026-11-02' },
      before: { 'a/b': 1, groups: ['dev', 'ops'], 'm~n': { x: 1 }, name: 'Bob', role: 'member' },
      patch: [
        { op: 'replace', path: '/a~1b', value: 2 },
        { op: 'remove', path: '/groups/1' },
        { op: 'add', path: '/m~0n/y', value: [1] },
        { op: 'replace', path: '/role', value: 'admin' },
        { op: 'add', path: '/since', value: '2026-11-02' },
      ],
    });
    assertSchema([r!]);
  });

  it('a creation and a deletion patch the whole document', async () => {
    const { auditor, file } = setup();
    await auditor.event('key.created', { change: { after: { kid: 'k1' } } });
    await auditor.event('key.deleted', { change: { before: { kid: 'k1' }, after: null } });
    await auditor.close();
    const [created, deleted] = read(file);
    assert.deepEqual(created!.change, { after: { kid: 'k1' }, before: null, patch: [{ op: 'replace', path: '', value: { kid: 'k1' } }] });
    assert.deepEqual(deleted!.change, { after: null, before: { kid: 'k1' }, patch: [{ op: 'replace', path: '', value: null }] });
  });

  it('no secret leaks through the states or the patch: keywords at any depth, path rules under state.', async () => {
    const { auditor, file } = setup({ redact: { paths: ['state.card.number'] } });
    await auditor.event('customer.updated', {
      change: {
        before: { email: 'a@x.io', card: { number: '4111111111111111', exp: '01/27' }, auth: { password: 'old-pass-1' }, tokens: [{ refresh_token: 'rt-old' }] },
        after: { email: 'b@x.io', card: { number: '5500005555555559', exp: '02/29' }, auth: { password: 'new-pass-2' }, tokens: [{ refresh_token: 'rt-new' }] },
      },
    });
    await auditor.close();
    const text = readFileSync(file, 'utf8');
    for (const secret of ['4111111111111111', '5500005555555559', 'old-pass-1', 'new-pass-2', 'rt-old', 'rt-new']) assert.ok(!text.includes(secret), secret);
    const [r] = read(file);
    assert.deepEqual((r!.change as { patch: unknown }).patch, [
      { op: 'replace', path: '/card/exp', value: '02/29' },
      { op: 'replace', path: '/email', value: 'b@x.io' },
    ]);
  });

  it('with mode hmac a changed secret shows as one HMAC replacing another', async () => {
    const { auditor, file } = setup({ redact: { keys: [{ key: 'password', mode: 'hmac' }], hmacKey: 'k'.repeat(32) } });
    await auditor.event('user.password_changed', { change: { before: { password: 'old-pass-1' }, after: { password: 'new-pass-2' } } });
    await auditor.close();
    const text = readFileSync(file, 'utf8');
    assert.ok(!text.includes('old-pass-1') && !text.includes('new-pass-2'));
    const patch = (read(file)[0]!.change as { patch: Array<{ op: string; path: string; value: string }> }).patch;
    assert.equal(patch.length, 1);
    assert.deepEqual([patch[0]!.op, patch[0]!.path], ['replace', '/password']);
    assert.match(patch[0]!.value, /^hmac-sha256:/);
  });

  it('states are capped like meta; the patch is taken from the whole states, so the cap invents no removal', async () => {
    const { auditor, file } = setup({ limits: { metaBytes: 256 } });
    const before: Record<string, string> = {};
    for (let i = 0; i < 40; i++) before[`k${String(i).padStart(2, '0')}`] = 'v'.repeat(20);
    const after = { ...before, k39: 'changed' };
    await auditor.event('settings.updated', { change: { before, after } });
    await auditor.close();
    const [r] = read(file);
    const change = r!.change as { before: Record<string, unknown>; after: Record<string, unknown>; patch: unknown[] };
    assert.equal(r!.truncated, true);
    assert.equal(typeof change.before.$truncated, 'number');
    assert.deepEqual(change.patch, [{ op: 'replace', path: '/k39', value: 'changed' }]);
    assertSchema([r!]);
  });

  it('the diff is a valid RFC 6902 patch: an independent implementation turns before into after', () => {
    const cases: Array<[unknown, unknown]> = [
      [{ a: [1, 2, 3], b: { c: null } }, { a: [3], b: { c: [] }, d: 'x' }],
      [[{ id: 1 }, { id: 2 }], [{ id: 2 }, { id: 1 }, { id: 3 }]],
      [{ 'x/y': { '~': 1 } }, { 'x/y': { '~': 2, '': 0 } }],
      [{ n: 1 }, ['now an array']],
      ['text', { obj: true }],
      [{ deep: { deeper: { deepest: [1, { a: 1 }] } } }, { deep: { deeper: { deepest: [1, { a: 2 }, 4, 5] } } }],
    ];
    for (const [before, after] of cases) {
      const patch = jsonPatch(before, after);
      const applied = fastJsonPatch.applyPatch(structuredClone(before), patch as never, true, false).newDocument;
      assert.deepEqual(applied, after, JSON.stringify(patch));
    }
    assert.deepEqual(jsonPatch({ a: 1 }, { a: 1 }), []);
  });
});

describe('the trail’s own lifecycle', () => {
  it('audit.start carries a summary and digest of the configuration, never a secret; audit.close follows', async () => {
    const hmacKey = 'hmac-key-do-not-log-0123456789abcdef';
    const options: AuditOptions = { lifecycle: true, redact: { keys: ['iban'], paths: ['body.card'], hmacKey, mode: 'hmac' }, auth: { jwt: { verify: { secret: 's'.repeat(40), issuer: 'i', audience: 'a' } } } };
    const { auditor, file } = setup(options);
    await auditor.event('app.ready');
    await auditor.close();
    const text = readFileSync(file, 'utf8');
    assert.ok(!text.includes(hmacKey) && !text.includes('s'.repeat(40)), 'no key in the trail');
    const records = read(file);
    assert.deepEqual(records.map((r) => r.event), ['audit.start', 'app.ready', 'audit.close']);
    const start = records[0]!.lifecycle as { config: Record<string, unknown>; config_digest: string };
    // The 24 default keywords count 23 rules (api_key and apikey are one), plus iban; 7 default headers.
    assert.deepEqual(start.config.redaction, { defaults: true, detectors: true, headers: 15, hmac: true, keywords: 52, mode: 'hmac', paths: 1, routes: 0 });
    assert.deepEqual(start.config.auth, { api_key: false, api_key_resolver: false, jwt: true, jwt_verified: true, session: false });
    assert.deepEqual(start.config.sinks, [{ chained: false, mode: 'async', name: `file:${file}`, spool: false }]);
    assert.match(start.config_digest, /^[0-9a-f]{64}$/);
    const close = records[2]!;
    assert.deepEqual((close.lifecycle as { records: unknown }).records, { accepted: 2, dropped: 0, failed: 0 });
    assert.equal(typeof close.duration_ms, 'number');
    assertSchema(records);

    // Same configuration, same digest; another configuration, another digest.
    const again = setup(options);
    await again.auditor.close();
    const other = setup({ ...options, limits: { bodyBytes: 1024 } });
    await other.auditor.close();
    const digestOf = (f: string): string => (read(f)[0]!.lifecycle as { config_digest: string }).config_digest;
    assert.equal(digestOf(again.file).length, 64);
    assert.notEqual(digestOf(other.file), digestOf(again.file));
    // Only the file path differs between the first two, and the path is part of the summary.
    assert.notEqual(digestOf(again.file), start.config_digest);
    // Value detectors switched off say so in the summary (so the digest of a node running blind differs).
    const blind = setup({ ...options, redact: { ...options.redact, detectors: false } });
    await blind.auditor.close();
    assert.equal((read(blind.file)[0]!.lifecycle as { config: { redaction: { detectors: boolean } } }).config.redaction.detectors, false);
  });

  it('pausing and resuming write one record each, naming who, and the resume counts what was not recorded', async () => {
    const { auditor, file, faults } = setup();
    await auditor.event('before.pause');
    assert.equal(await auditor.pause({ reason: 'no one said who' } as never), false, 'no operator, no pause');
    assert.equal(auditor.paused, false);
    assert.equal(await auditor.pause({ operator: 'alice', reason: 'load test on staging', from: 'dashboard' }), true);
    assert.equal(auditor.paused, true);
    assert.equal(await auditor.event('while.paused.1'), false);
    assert.equal(await auditor.event('while.paused.2'), false);
    assert.equal(await auditor.pause({ operator: 'alice' }), true, 'pausing twice writes nothing more');
    assert.equal(await auditor.resume({ operator: { name: 'bob', verified: false } }), true);
    await auditor.event('after.resume');
    await auditor.close();
    const records = read(file);
    assert.deepEqual(
      records.map((r) => [r.event, r.source, r.source_verified, r.from, r.level]),
      [
        ['before.pause', null, false, 'app', 'info'],
        ['audit.paused', 'alice', true, 'dashboard', 'warn'],
        ['audit.resumed', 'bob', false, 'app', 'info'],
        ['after.resume', null, false, 'app', 'info'],
      ],
    );
    assert.deepEqual(records[1]!.lifecycle, { reason: 'load test on staging' });
    assert.deepEqual(records[2]!.lifecycle, { reason: null, skipped: 2 });
    assert.deepEqual(faults.map((f) => f.code), ['AUDITKIT_HOOK_FAILED'], 'the pause without an operator');
    assertSchema(records);
  });
});
