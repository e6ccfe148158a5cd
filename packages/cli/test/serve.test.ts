/// <reference lib="dom" />
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openSqliteStore } from '@auditkit/store';
import pg from 'pg';
import type { Browser } from 'playwright-core';
import { seedLine } from '../../api/test/records.js';
import { launchBrowser } from '../../dashboard/test/browser.js';
import { seedLines } from '../../dashboard/test/fixtures.js';
import { dashboardScenario } from '../../dashboard/test/scenario.js';

/**
 * `auditkit serve --store <url>` as an operator runs it (a real process), with the dashboard in
 * Chromium: the same scenario as the application mounts, guarded by the printed token instead of a
 * session. The token never reaches the trail, and every read is recorded in the store.
 */

const bin = fileURLToPath(new URL('../bin/auditkit.mjs', import.meta.url));

describe('auditkit serve', () => {
  const dir = mkdtempSync(join(tmpdir(), 'auditkit-serve-'));
  const db = join(dir, 'audit.db');
  let child: ChildProcess;
  let printed = '';
  let url: URL;
  let browser: Browser;

  before(async () => {
    const store = await openSqliteStore({ path: db, maxAgeDays: null });
    await store.write(seedLines(Date.now() * 1000));
    await store.close();
    child = spawn(process.execPath, [bin, 'serve', '--store', `sqlite:${db}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.setEncoding('utf8');
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: string) => {
        printed += chunk;
        if (/Audit dashboard: \S+\n/.test(printed)) resolve();
      });
      child.once('exit', (code) => reject(new Error(`auditkit serve exited with ${code}`)));
    });
    url = new URL(/Audit dashboard: (\S+)\n/.exec(printed)![1]!);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('binds 127.0.0.1 and prints the page address with a random token', () => {
    assert.equal(url.hostname, '127.0.0.1');
    assert.equal(url.pathname, '/');
    assert.match(url.searchParams.get('token')!, /^[A-Za-z0-9_-]{32}$/);
  });

  it('refuses the API without the token or with another one', async () => {
    assert.equal((await fetch(new URL('/records', url))).status, 401);
    assert.equal((await fetch(new URL('/records', url), { headers: { authorization: 'Bearer nope' } })).status, 401);
    assert.equal((await fetch(new URL('/records?token=' + url.searchParams.get('token'), url))).status, 401);
    assert.equal((await fetch(new URL('/records', url), { headers: { authorization: `Bearer ${url.searchParams.get('token')}` } })).status, 200);
  });

  it('does everything the issue asks of the page, in a real browser', async (t) => {
    const token = url.searchParams.get('token')!;
    const reader = await openSqliteStore({ path: db, maxAgeDays: null });
    try {
      const bobLine = (await reader.get('01900000-0000-7000-8000-000000000014', []))!;
      await dashboardScenario(t, browser, {
        openUrl: url.href,
        pageUrl: `${url.origin}/`,
        context: {},
        withAuth: (link) => `${link}${link.includes('?') ? '&' : '?'}token=${token}`,
        bobLine,
        signIn: async () => undefined,
        makeRecord: async () => {
          await reader.write([seedLine({ n: 90_000, time: Date.now() * 1000, source: 'frank', operation_id: '/configs/global_zone', operation_type: 'configs', http_method: 'put' })]);
        },
        refuse: async ({ page }) => {
          await page.evaluate(() => sessionStorage.clear());
          return (await fetch(new URL('/records', url))).status;
        },
      });
    } finally {
      await reader.close();
    }
  });

  it('stops on SIGTERM; its reads are in the trail, named after the local user, and the token is not', async () => {
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 0);
    const store = await openSqliteStore({ path: db, maxAgeDays: null });
    try {
      const lines: string[] = [];
      for await (const batch of store.scan([], 1000)) lines.push(...batch);
      const views = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r.event === 'audit.log.view' && r.operation_result === 'success');
      assert.ok(views.length > 10);
      assert.ok(views.every((r) => r.source === userInfo().username));
      const token = url.searchParams.get('token')!;
      assert.equal(lines.filter((l) => l.includes(token)).length, 0);
    } finally {
      await store.close();
    }
  });
});

describe('auditkit serve over PostgreSQL', () => {
  const PG_URL = process.env.AUDITKIT_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
  const schema = `akt_serve_${process.pid}`;

  after(async () => {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await c.end();
  });

  it('opens the store from its URL, serves the page and the API with the token, and records the reads there', async () => {
    const child = spawn(process.execPath, [bin, 'serve', '--store', `${PG_URL}?schema=${schema}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.setEncoding('utf8');
    const address = await new Promise<URL>((resolve, reject) => {
      child.stdout!.on('data', (chunk: string) => {
        out += chunk;
        const m = /Audit dashboard: (\S+)\n/.exec(out);
        if (m) resolve(new URL(m[1]!));
      });
      child.once('exit', (code) => reject(new Error(`auditkit serve exited with ${code}`)));
    });
    const token = address.searchParams.get('token')!;
    try {
      const page = await fetch(new URL('/', address));
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-security-policy')!, /^default-src 'none'/);
      assert.equal((await fetch(new URL('/records', address))).status, 401);
      const records = await fetch(new URL('/records?limit=5', address), { headers: { authorization: `Bearer ${token}` } });
      assert.equal(records.status, 200);
      // The store is new: all it can hold is the refused read just above, once its record has arrived.
      const { data } = (await records.json()) as { data: Array<Record<string, unknown>> };
      assert.ok(data.length <= 1);
      for (const r of data) assert.deepEqual([r.event, r.operation_result, r.meta], ['audit.log.view', 'failure', { endpoint: '/records', status: 401 }]);
    } finally {
      child.kill('SIGTERM');
      assert.equal((await once(child, 'exit'))[0], 0);
    }
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      const { rows } = await c.query(`SELECT line FROM "${schema}".records`);
      const reads = rows.map((r: { line: string }) => JSON.parse(r.line) as Record<string, unknown>).filter((r) => r.event === 'audit.log.view');
      assert.deepEqual(reads.map((r) => [r.source, r.operation_result]).sort(), [[null, 'failure'], [userInfo().username, 'success']]);
      assert.equal(rows.filter((r: { line: string }) => r.line.includes(token)).length, 0);
    } finally {
      await c.end();
    }
  });
});
