import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { FRAMEWORKS, headerAuthorize, startApiApp, type ApiApp } from './apps.js';
import { BACKENDS, openTestStore, seedId, seedLine, type TestStore } from './records.js';

/** Keyset pages both ways, EMQX's page shape, counts, one record, and every kind of bad request, on every framework. */

const T0 = 1_714_564_800_000_000;

for (const backend of BACKENDS) {
  for (const framework of FRAMEWORKS) {
    describe(`paging and errors (${framework}, ${backend})`, () => {
      let db: TestStore;
      let app: ApiApp;
      const lines: string[] = [];
      // Only the seeded records: reads add audit.log.view records as the tests go.
      const get = (path: string) => request(app.url).get(`/admin/audit${path}`).set('x-viewer', 'admin');
      const ids = (body: { data: Array<{ id: string }> }) => body.data.map((r) => r.id);

      before(async () => {
        db = await openTestStore(backend);
        app = await startApiApp(framework, { store: db.store, authorize: headerAuthorize, api: { countCap: 10 } });
        for (let n = 1; n <= 12; n++) lines.push(seedLine({ n, time: T0 + n * 1_000_000, http_status_code: n % 4 === 0 ? 500 : 200 }));
        await db.write(lines);
      });
      after(async () => {
        await app.close();
        await db.close();
      });

      it('newest first; next_cursor goes older, prev_cursor newer, to the same pages', async () => {
        const first = await get('/records?event=request&limit=5');
        assert.equal(first.status, 200);
        assert.equal(first.headers['content-type'], 'application/json; charset=utf-8');
        assert.equal(first.headers['cache-control'], 'no-store');
        assert.deepEqual(ids(first.body), [12, 11, 10, 9, 8].map(seedId));
        assert.equal(first.body.prev_cursor, null);
        const second = await get(`/records?event=request&limit=5&cursor=${first.body.next_cursor}`);
        assert.deepEqual(ids(second.body), [7, 6, 5, 4, 3].map(seedId));
        const third = await get(`/records?event=request&limit=5&cursor=${second.body.next_cursor}`);
        assert.deepEqual(ids(third.body), [2, 1].map(seedId));
        assert.equal(third.body.next_cursor, null);
        const back = await get(`/records?event=request&limit=5&cursor=${third.body.prev_cursor}`);
        assert.deepEqual(ids(back.body), ids(second.body));
        const backAgain = await get(`/records?event=request&limit=5&cursor=${back.body.prev_cursor}`);
        assert.deepEqual(ids(backAgain.body), ids(first.body));
      });

      it('each record is byte for byte the stored line', async () => {
        const res = await get('/records?event=request&limit=12');
        assert.equal(res.text, `{"data":[${[...lines].reverse().join(',')}],"next_cursor":null,"prev_cursor":null}`);
        const one = await get(`/records/${seedId(7)}`);
        assert.equal(one.text, lines[6]);
      });

      it('count=exact adds the count, exact up to the cap', async () => {
        const small = await get('/records?event=request&http_status_code=500&count=exact&limit=1');
        assert.deepEqual(small.body.count, { value: 3, exact: true });
        const capped = await get('/records?event=request&count=exact&limit=1');
        assert.deepEqual(capped.body.count, { value: 10, exact: false });
        assert.equal((await get('/records?event=request&limit=1')).body.count, undefined);
      });

      it("page: EMQX's shape, {data, meta: {page, limit, hasnext}}, count on request", async () => {
        const p1 = await get('/records?event=request&page=1&limit=5');
        assert.deepEqual(Object.keys(p1.body), ['data', 'meta']);
        assert.deepEqual(p1.body.meta, { page: 1, limit: 5, hasnext: true });
        assert.deepEqual(ids(p1.body), [12, 11, 10, 9, 8].map(seedId));
        const p3 = await get('/records?event=request&page=3&limit=5&count=exact');
        assert.deepEqual(ids(p3.body), [2, 1].map(seedId));
        assert.deepEqual(p3.body.meta, { page: 3, limit: 5, hasnext: false, count: 10, count_exact: false });
        const p9 = await get('/records?event=request&page=9&limit=5');
        assert.deepEqual(p9.body, { data: [], meta: { page: 9, limit: 5, hasnext: false } });
      });

      it('distinct values and a histogram over the filtered range', async () => {
        const status = await get('/distinct/http_status_code?event=request');
        assert.deepEqual(status.body, { field: 'http_status_code', values: [{ value: 200, count: 9 }, { value: 500, count: 3 }], count_exact: true });
        const h = await get(`/histogram?event=request&buckets=3&gte_created_at=${T0 / 1000}&lte_created_at=${T0 / 1000 + 11_999}`);
        assert.deepEqual(h.body, {
          from: T0,
          to: T0 + 11_999_000,
          bucket_us: 3_999_667,
          buckets: [
            { start: T0, total: 3, failures: 0 },
            { start: T0 + 3_999_667, total: 4, failures: 1 },
            { start: T0 + 7_999_334, total: 4, failures: 1 },
          ],
        });
        // No range given: the last 24 hours, which hold none of these 2024 records.
        const recent = await get('/histogram?event=request&buckets=4');
        assert.equal(recent.body.buckets.length, 4);
        assert.equal(recent.body.to - recent.body.from, 24 * 3600 * 1_000_000);
        assert.deepEqual(recent.body.buckets.map((b: { total: number }) => b.total), [0, 0, 0, 0]);
      });

      const badRequests: Array<[string, string, RegExp]> = [
        ['/records?limit=0', 'limit', /0 is out of range; accepted: a whole number from 1 to 10000/],
        ['/records?limit=10001', 'limit', /out of range/],
        ['/records?limit=ten', 'limit', /not a whole number/],
        ['/records?cursor=not-a-cursor', 'cursor', /not a cursor this API issued; accepted: a cursor exactly as a previous page gave it/],
        ['/records?cursor=l.WzAsIjAiXQ', 'cursor', /a live cursor, not a page one/],
        ['/records?page=0', 'page', /out of range/],
        ['/records?page=2&cursor=WzAsIjAiXQ', 'page', /cannot be combined with cursor/],
        ['/records?page=1002&limit=100', 'page', /beyond record 100000; accepted: .*follow next_cursor/],
        ['/records?count=approximate', 'count', /accepted: exact/],
        ['/records?gte_created_at=last%20tuesday', 'gte_created_at', /accepted: RFC 3339/],
        ['/records?soruce=alice', 'soruce', /unknown parameter; accepted: node, from, source/],
        ['/records?source=a&source=b', 'source', /more than once/],
        ['/records/export?format=xlsx', 'format', /accepted: ndjson or csv/],
        ['/records/export?limit=5', 'limit', /unknown parameter/],
        ['/histogram?buckets=501', 'buckets', /from 1 to 500/],
        ['/histogram?gte_created_at=9000000000000', 'gte_created_at', /in the future/],
        ['/distinct/password', 'field', /has no distinct values; accepted: node, from, source/],
        ['/distinct/source?limit=1001', 'limit', /from 1 to 1000/],
        ['/live?after=WzAsIjAiXQ', 'after', /a page cursor, not a live one/],
        ['/live?after=%00', 'after', /not a cursor this API issued/],
        [`/records/${'x'.repeat(200)}`, 'id', /not a record id/],
        ['/records/abc?source=alice', 'source', /unknown parameter/],
      ];
      for (const [path, parameter, message] of badRequests) {
        it(`400 ${path.slice(0, 50)} names ${parameter}`, async () => {
          const res = await get(path);
          assert.equal(res.status, 400);
          assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
          assert.equal(res.body.code, 'bad_parameter');
          assert.equal(res.body.parameter, parameter);
          assert.match(res.body.message, message);
        });
      }

      it('Last-Event-ID that is not a cursor: 400 naming the header', async () => {
        const res = await get('/live/stream').set('last-event-id', 'garbage');
        assert.deepEqual([res.status, res.body.parameter], [400, 'Last-Event-ID']);
      });

      it('404 for no such endpoint, 405 for anything but GET', async () => {
        const missing = await get('/nothing-here');
        assert.deepEqual([missing.status, missing.body.code], [404, 'not_found']);
        const post = await request(app.url).post('/admin/audit/records').set('x-viewer', 'admin').send({});
        assert.deepEqual([post.status, post.body.code, post.headers.allow], [405, 'method_not_allowed', 'GET']);
        const del = await request(app.url).delete(`/admin/audit/records/${seedId(1)}`).set('x-viewer', 'admin');
        assert.equal(del.status, 405);
        assert.equal((await get(`/records/${seedId(1)}`)).status, 200, 'still there');
      });
    });
  }
}
