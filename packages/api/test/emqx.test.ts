import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { FRAMEWORKS, headerAuthorize, startApiApp, type ApiApp } from './apps.js';
import { BACKENDS, openTestStore, seedId, seedLine, type TestStore } from './records.js';

/**
 * EMQX's own API test cases (apps/emqx_audit/test/emqx_audit_api_SUITE.erl), through every framework
 * and every backend: a PUT leaves a rest_api record with its authorization masked; gte/lte_created_at
 * in µs, ms and RFC 3339 give the same records; duration ranges.
 */

interface Page {
  data: Array<Record<string, unknown>>;
  next_cursor: string | null;
  prev_cursor: string | null;
}

for (const backend of BACKENDS) {
  for (const framework of FRAMEWORKS) {
    describe(`EMQX API cases (${framework}, ${backend})`, () => {
      let db: TestStore;
      let app: ApiApp;
      let putTime = 0;
      const get = (query: string) => request(app.url).get(`/admin/audit/records?${query}`).set('x-viewer', 'admin');

      before(async () => {
        db = await openTestStore(backend);
        app = await startApiApp(framework, { store: db.store, authorize: headerAuthorize });
        // Two older records, 10 s and 5 s before now, with known durations.
        const now = Date.now() * 1000;
        await db.write([seedLine({ n: 1, time: now - 10_000_000, duration_ms: 5.5 }), seedLine({ n: 2, time: now - 5_000_000, duration_ms: 777.125 })]);
      });
      after(async () => {
        await app.close();
        await db.close();
      });

      it('a PUT yields a rest_api record: authorization "******", success, type configs', async () => {
        const put = await request(app.url)
          .put('/configs/global_zone')
          .set('authorization', 'Bearer sk_live_abcdef0123456789')
          .send({ mqtt: { max_qos_allowed: 1 } });
        assert.equal(put.status, 200);
        const res = await get('limit=1');
        assert.equal(res.status, 200);
        const [record] = (res.body as Page).data;
        assert.equal(record!.from, 'rest_api');
        assert.equal(record!.operation_id, '/configs/global_zone');
        assert.equal(record!.source_ip, '127.0.0.1');
        assert.equal(record!.http_status_code, 200);
        assert.equal(record!.operation_result, 'success');
        assert.equal(record!.operation_type, 'configs');
        assert.equal(record!.http_method, 'put');
        const http = record!.http_request as { method: string; body: unknown; headers: Record<string, string> };
        assert.equal(http.method, 'PUT');
        assert.deepEqual(http.body, { mqtt: { max_qos_allowed: 1 } });
        assert.equal(http.headers.authorization, '******');
        assert.ok(!res.text.includes('sk_live_abcdef0123456789'), 'the token appears nowhere in the answer');
        putTime = record!.time as number;
      });

      it('gte_created_at and lte_created_at in µs, ms and RFC 3339 give the same records', async () => {
        assert.ok(putTime > 0);
        // 1 ms before the PUT's record, as EMQX's suite takes it.
        const t = putTime - 1000;
        const us = String(t);
        const ms = String(Math.floor(t / 1000));
        const rfc = rfc3339(t, 8 * 60);
        const ids = async (q: string) => ((await get(`event=request&${q}`)).body as Page).data.map((r) => r.id);

        const gte = await ids(`gte_created_at=${us}`);
        assert.equal(gte.length, 1);
        assert.equal((await get('event=request&limit=1')).body.data[0].id, gte[0]);
        assert.deepEqual(await ids(`gte_created_at=${encodeURIComponent(rfc)}`), gte);
        assert.deepEqual(await ids(`gte_created_at=${ms}`), gte);

        const lte = await ids(`lte_created_at=${us}`);
        assert.deepEqual(lte, [seedId(2), seedId(1)]);
        assert.deepEqual(await ids(`lte_created_at=${encodeURIComponent(rfc)}`), lte);
        assert.deepEqual(await ids(`lte_created_at=${ms}`), lte);
        // The same instant in UTC, and with an offset whose + arrived unencoded (a space).
        assert.deepEqual(await ids(`lte_created_at=${encodeURIComponent(rfc3339(t, 0))}`), lte);
        assert.deepEqual(await ids(`lte_created_at=${rfc.replace('+', '%20')}`), lte);
      });

      it('duration ranges: gte_duration_ms=0 is everything, lte_duration_ms=-1 nothing, a band its records', async () => {
        const ids = async (q: string) => ((await get(`event=request&${q}`)).body as Page).data.map((r) => r.id);
        assert.equal((await ids('gte_duration_ms=0')).length, 3);
        assert.deepEqual(await ids('lte_duration_ms=-1'), []);
        assert.deepEqual(await ids('gte_duration_ms=777&lte_duration_ms=777.2'), [seedId(2)]);
        assert.deepEqual(await ids('gte_duration_ms=5.5&lte_duration_ms=5.5'), [seedId(1)]);
      });
    });
  }
}

/** Epoch µs as RFC 3339 with microseconds at the given offset (minutes east of UTC). */
function rfc3339(micros: number, offsetMinutes: number): string {
  const shifted = new Date(Math.floor(micros / 1000) + offsetMinutes * 60_000).toISOString().slice(0, 19);
  const fraction = String(micros % 1_000_000).padStart(6, '0');
  const sign = offsetMinutes >= 0 ? '+' : '-';
  const abs = Math.abs(offsetMinutes);
  const zone = offsetMinutes === 0 ? 'Z' : `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  return `${shifted}.${fraction}${zone}`;
}
