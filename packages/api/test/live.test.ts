import assert from 'node:assert/strict';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AuditFileTransport } from '@auditkit/core';
import request from 'supertest';
import { FRAMEWORKS, headerAuthorize, startApiApp, type ApiApp } from './apps.js';
import { BACKENDS, eventsIn, openTestStore, seedLine, tempDir, type TestStore } from './records.js';

/** The live feed: polling and Server-Sent Events, resuming, confinement, and no feedback loop with its own records. */

const T0 = 1_714_564_800_000_000;

interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
  retry?: string;
}

/** A real EventSource-like client over http.get: parses events as they arrive. */
class SseClient {
  readonly events: SseEvent[] = [];
  readonly #request: http.ClientRequest;
  #buffer = '';
  #waiters: Array<() => void> = [];
  ended = false;
  status = 0;

  constructor(url: string, headers: Record<string, string>) {
    this.#request = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      this.status = res.statusCode ?? 0;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        this.#buffer += chunk;
        let end: number;
        while ((end = this.#buffer.indexOf('\n\n')) >= 0) {
          const block = this.#buffer.slice(0, end);
          this.#buffer = this.#buffer.slice(end + 2);
          const event: SseEvent = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) event.comment = line.slice(1).trim();
            else {
              const colon = line.indexOf(':');
              const field = line.slice(0, colon) as keyof SseEvent;
              const value = line.slice(colon + 1).replace(/^ /, '');
              event[field] = event[field] === undefined ? value : `${event[field]}\n${value}`;
            }
          }
          this.events.push(event);
        }
        this.#wake();
      });
      res.on('end', () => {
        this.ended = true;
        this.#wake();
      });
    });
    this.#request.on('error', () => undefined);
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Waits until some event satisfies `match`. */
  async until(match: (events: SseEvent[]) => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!match(this.events)) {
      if (this.ended) throw new Error(`stream ended before ${what}`);
      if (Date.now() > deadline) throw new Error(`no ${what} within 10 s; got ${JSON.stringify(this.events)}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  records(): string[] {
    return this.events.filter((e) => e.event === 'record').map((e) => e.data!);
  }

  close(): void {
    this.#request.destroy();
  }
}

for (const backend of BACKENDS) {
  for (const framework of FRAMEWORKS) {
    describe(`live feed (${framework}, ${backend})`, () => {
      let db: TestStore;
      let app: ApiApp;
      let n = 100;
      const line = (fields: Partial<Parameters<typeof seedLine>[0]> = {}) => seedLine({ n: ++n, time: T0 + n, ...fields });
      const stream = (query = '', headers: Record<string, string> = {}) => new SseClient(`${app.url}/admin/audit/live/stream${query}`, { 'x-viewer': 'watcher', ...headers });

      before(async () => {
        db = await openTestStore(backend);
        app = await startApiApp(framework, { store: db.store, authorize: headerAuthorize, api: { live: { pollMs: 50, heartbeatMs: 200 } } });
        await db.write([seedLine({ n: 1, time: T0 })]);
      });
      after(async () => {
        await app.close();
        await db.close();
      });

      it('poll: no cursor starts now; then each poll brings what arrived since, oldest first', async () => {
        const get = (q: string) => request(app.url).get(`/admin/audit/live?event=request${q}`).set('x-viewer', 'watcher');
        const start = await get('');
        assert.deepEqual(start.body.data, []);
        assert.match(start.body.next_cursor, /^l\./);
        const a = line();
        const b = line({ time: T0 - 5_000_000 }); // arrives late with an older time: still delivered
        await db.write([a, b]);
        const first = await get(`&after=${start.body.next_cursor}`);
        assert.equal(first.text, `{"data":[${a},${b}],"next_cursor":"${first.body.next_cursor}"}`);
        const second = await get(`&after=${first.body.next_cursor}`);
        assert.deepEqual(second.body.data, []);
        assert.equal(second.body.next_cursor, first.body.next_cursor);
      });

      it('poll: its own records do not feed the next poll forever', async () => {
        const get = (after: string) => request(app.url).get(`/admin/audit/live?after=${after}`).set('x-viewer', 'watcher');
        const before = (await eventsIn(db.store, 'audit.log.view')).filter((r) => (r.meta as { endpoint: string }).endpoint === '/live').length;
        let cursor = (await get((await request(app.url).get('/admin/audit/live').set('x-viewer', 'watcher')).body.next_cursor)).body.next_cursor as string;
        await db.write([line()]);
        const withRecord = await get(cursor);
        assert.equal(withRecord.body.data.length, 1);
        cursor = withRecord.body.next_cursor;
        // That poll was recorded; the next poll brings only that record, and is not recorded itself.
        const echo = await get(cursor);
        assert.deepEqual(echo.body.data.map((r: { event: string }) => r.event), ['audit.log.view']);
        const quiet = await get(echo.body.next_cursor);
        assert.deepEqual(quiet.body.data, []);
        const after = (await eventsIn(db.store, 'audit.log.view')).filter((r) => (r.meta as { endpoint: string }).endpoint === '/live');
        assert.equal(after.length, before + 1);
        assert.equal((after[0]!.meta as { count: number }).count, 1);
      });

      it('SSE: a record written after connecting arrives; the event id resumes after it; open and close are recorded', async () => {
        const client = stream('?event=request');
        await client.until((e) => e.some((x) => x.comment === 'connected'), 'the connected comment');
        assert.equal(client.status, 200);
        assert.equal(client.events[0]!.retry, '2000');
        const first = line({ source: 'sse-1' });
        await db.write([first]);
        await client.until(() => client.records().length === 1, 'the first record');
        assert.deepEqual(client.records(), [first]);
        const lastId = client.events.filter((e) => e.event === 'record').at(-1)!.id!;
        assert.match(lastId, /^l\./);
        client.close();

        // A reconnecting EventSource sends Last-Event-ID; it wins over a stale after.
        const second = line({ source: 'sse-2' });
        await db.write([second]);
        const resumed = stream(`?event=request&after=l.${Buffer.from('[0,"0"]').toString('base64url')}`, { 'last-event-id': lastId });
        await resumed.until(() => resumed.records().length >= 1, 'the record missed while away');
        assert.deepEqual(resumed.records(), [second]);
        resumed.close();

        // Each stream is recorded when it opens and when it ends, with the records it sent.
        const streamViews = async () =>
          (await eventsIn(db.store, 'audit.log.view')).map((r) => r.meta as { endpoint: string; live?: string; count?: number; filters: unknown }).filter((m) => m.endpoint === '/live/stream');
        await waitFor(async () => (await streamViews()).filter((m) => m.live === 'client_left').length === 2);
        assert.deepEqual(
          (await streamViews()).map((m) => [m.live, m.count, m.filters]),
          [
            ['client_left', 1, { event: 'request' }],
            ['opened', undefined, { event: 'request' }],
            ['client_left', 1, { event: 'request' }],
            ['opened', undefined, { event: 'request' }],
          ],
        );
      });

      it('SSE: an idle stream sends heartbeats; a scoped viewer receives only the scope', async () => {
        const client = stream('?event=request', { 'x-scope': JSON.stringify({ source: 'carol' }) });
        await client.until((e) => e.some((x) => x.comment === 'heartbeat'), 'a heartbeat');
        await db.write([line({ source: 'dave' }), line({ source: 'carol' })]);
        await client.until(() => client.records().length >= 1, 'carol’s record');
        await db.write([line({ source: 'carol', n: 999 })]);
        await client.until(() => client.records().length >= 2, 'the second of carol’s records');
        assert.deepEqual(client.records().map((r) => JSON.parse(r).source), ['carol', 'carol']);
        client.close();
      });

      it('closing the API ends open streams cleanly and records how they ended', async () => {
        // An app of its own, recording to a file: closing it closes its auditor, and a transport has one auditor.
        const file = join(tempDir(), 'audit.log');
        const own = await startApiApp(framework, { store: db.store, authorize: headerAuthorize, audit: { sinks: [{ transport: new AuditFileTransport({ path: file }), mode: 'blocking' }] } });
        const client = new SseClient(`${own.url}/admin/audit/live/stream`, { 'x-viewer': 'watcher' });
        await client.until((e) => e.some((x) => x.comment === 'connected'), 'the connected comment');
        await own.close();
        await client.until(() => client.ended, 'the end of the stream');
        const lives = readFileSync(file, 'utf8')
          .trim()
          .split('\n')
          .map((l) => (JSON.parse(l) as { meta: { live?: string } }).meta.live);
        assert.deepEqual(lives, ['opened', 'server_closed']);
      });
    });
  }
}

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('timed out');
}
