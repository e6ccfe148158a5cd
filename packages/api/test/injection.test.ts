import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { FILTER_PARAMETERS } from '@auditkit/api';
import { headerAuthorize, startApiApp, type ApiApp } from './apps.js';
import { BACKENDS, openTestStore, seedId, seedLine, type TestStore } from './records.js';

/**
 * SQL injection through every filter, on every backend: each hostile string is a value to compare,
 * never SQL. Text filters answer nothing (no record holds that value) or exactly the records that
 * hold it as data; typed filters refuse it with a 400; nothing leaks past a scope; the tables are
 * intact afterwards.
 */

const PAYLOADS = [
  "' OR '1'='1",
  "alice' --",
  "alice'; DROP TABLE records; --",
  '") OR 1=1 --',
  "' UNION SELECT line FROM records --",
  '1; DELETE FROM records',
  '%',
  '_',
  '*',
  '[a-z]*',
  '\\',
  "\\' OR 1=1 --",
  'alice\u0000',
  '＇ OR ＇1＇=＇1',
  '$1',
  ':source',
  '?',
];

/** Parameters whose values are typed: a hostile string is not a value of theirs at all. */
const TYPED = new Set(['source_ip', 'http_status_code', 'gte_created_at', 'lte_created_at', 'gte_duration_ms', 'lte_duration_ms', 'operation_result', 'http_method']);

const T0 = 1_714_564_800_000_000;
/** A live cursor before every record, so /live runs its filtered query. */
const FROM_START = 'l.' + Buffer.from('[0,"0"]').toString('base64url');

for (const backend of BACKENDS) {
  describe(`SQL injection through every filter (${backend})`, () => {
    let db: TestStore;
    let app: ApiApp;
    const seeded = [
      seedLine({ n: 1, time: T0 + 1, source: 'alice', body: { note: 'we are 100% sure' } }),
      seedLine({ n: 2, time: T0 + 2, source: 'bob', body: { note: 'a_b' } }),
      seedLine({ n: 3, time: T0 + 3, source: "o'brien", body: { note: "'; DROP TABLE records; --" }, target: { type: 'user', id: "1' OR '1'='1" } }),
      seedLine({ n: 4, time: T0 + 4, source: 'bob', body: { note: 'plain' } }),
    ];
    const get = (path: string, scope?: Record<string, string>) => {
      const r = request(app.url).get(`/admin/audit${path}`).set('x-viewer', 'admin');
      return scope ? r.set('x-scope', JSON.stringify(scope)) : r;
    };
    const ids = (body: { data: Array<{ id: string }> }) => body.data.map((r) => r.id);

    before(async () => {
      db = await openTestStore(backend);
      app = await startApiApp('express', { store: db.store, authorize: headerAuthorize });
      await db.write(seeded);
    });
    after(async () => {
      await app.close();
      await db.close();
    });

    for (const parameter of FILTER_PARAMETERS) {
      it(`${parameter}: every payload is a value, answered with nothing or a 400`, async () => {
        for (const payload of PAYLOADS) {
          // A typed parameter refuses the payload before any endpoint runs: one endpoint shows it.
          const endpoints = TYPED.has(parameter) ? ['/records'] : ['/records', '/records/export', '/distinct/source', '/histogram', '/live'];
          for (const endpoint of endpoints) {
            const base = (endpoint === '/live' ? `after=${FROM_START}&` : '') + (parameter === 'event' ? '' : 'event=request&');
            const res = await get(`${endpoint}?${base}${parameter}=${encodeURIComponent(payload)}`);
            if (TYPED.has(parameter)) {
              assert.equal(res.status, 400, `${endpoint} ${parameter}=${payload}: ${res.text.slice(0, 200)}`);
              assert.equal(res.body.code, 'bad_parameter');
              assert.equal(res.body.parameter, parameter);
              continue;
            }
            assert.equal(res.status, 200, `${endpoint} ${parameter}=${payload}: ${res.text.slice(0, 200)}`);
            if (endpoint === '/records') {
              const expected = parameter === 'q' ? expectedText(payload) : [];
              assert.deepEqual(ids(res.body).filter((id) => id.startsWith('01900000-')), expected, `${parameter}=${payload}`);
            }
            if (endpoint === '/records/export') {
              const lines = res.text.trim().split('\n');
              assert.match(lines.at(-1)!, /^\{"export_end":\{"complete":true,"count":\d+\}\}$/);
            }
          }
        }
      });
    }

    it('scoped: no payload in any filter reaches past the scope', async () => {
      for (const parameter of FILTER_PARAMETERS.filter((p) => !TYPED.has(p))) {
        for (const payload of PAYLOADS) {
          const base = parameter === 'event' ? '' : 'event=request&';
          const res = await get(`/records?${base}${parameter}=${encodeURIComponent(payload)}`, { source: 'alice' });
          for (const r of res.body.data as Array<{ source: string }>) assert.equal(r.source, 'alice', `${parameter}=${payload}`);
          const negated = await get(`/records?${base}${parameter}=${encodeURIComponent('!' + payload)}`, { source: 'alice' });
          for (const r of negated.body.data as Array<{ source: string }>) assert.equal(r.source, 'alice', `${parameter}=!${payload}`);
        }
      }
    });

    it('hostile values stored as data are found as data', async () => {
      assert.deepEqual(ids((await get(`/records?event=request&source=${encodeURIComponent("o'brien")}`)).body), [seedId(3)]);
      assert.deepEqual(ids((await get(`/records?event=request&target_id=${encodeURIComponent("1' OR '1'='1")}`)).body), [seedId(3)]);
      assert.deepEqual(ids((await get(`/records?event=request&q=${encodeURIComponent('drop table')}`)).body), [seedId(3)]);
      assert.deepEqual(ids((await get(`/records?event=request&q=${encodeURIComponent('100%')}`)).body), [seedId(1)]);
    });

    it('afterwards every table is intact: all records, in order, counted', async () => {
      const res = await get('/records?event=request&count=exact');
      assert.deepEqual(ids(res.body), [seedId(4), seedId(3), seedId(2), seedId(1)]);
      assert.deepEqual(res.body.count, { value: 4, exact: true });
    });
  });
}

/** What free text should find for a payload: the records whose searchable text contains it, literally. */
function expectedText(payload: string): string[] {
  const found: Record<string, string[]> = {
    '%': [seedId(1)],
    _: [seedId(2)],
    "alice'; DROP TABLE records; --": [],
  };
  if (payload in found) return found[payload]!;
  // The payloads below occur in no record's text, with or without wildcards taken literally.
  return payload === "' OR '1'='1" ? [seedId(3)] : [];
}
