/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { TestContext } from 'node:test';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { CONTENT_SECURITY_POLICY } from '@auditkit/dashboard';
import { openContext, rowTexts, waitForRows, type Watched } from './browser.js';
import { HOSTILE_OPERATION, HOSTILE_SOURCE, HOSTILE_TARGET } from './fixtures.js';

/**
 * Everything the "Done means" asks of the page, in a real Chromium, against one running
 * dashboard (an Express, Fastify or Koa mount, or `auditkit serve`): each filter, free text and
 * qualifiers, paging past the first page, the detail drawer, both pivots, live mode receiving a
 * record made after the page loaded, both exports downloaded and parsed, the URL round trip with back
 * and forward, keyboard use, a narrow screen, hostile records executing nothing, and a refused viewer.
 */

export interface DashboardTarget {
  /** The address to open first (with `?token=` for serve). */
  openUrl: string;
  /** The page's address as it must read once loaded (no token). */
  pageUrl: string;
  context: BrowserContextOptions;
  /** The address a viewer in a new tab needs for `url` (serve: with the token again). */
  withAuth(url: string): string;
  /** Prepares a fresh context to be the authorised viewer (a session cookie). */
  signIn(watched: Watched): Promise<void>;
  /** Writes a record of operation type `configs` after the page has loaded. */
  makeRecord(): Promise<void>;
  /** The stored line of bob's failed login, byte for byte. */
  bobLine: string;
  /** From now on the viewer is refused; returns the status the API then answers. */
  refuse(watched: Watched): Promise<number>;
}

async function apply(page: Page, fields: Record<string, string>, search = ''): Promise<void> {
  await page.evaluate(
    ({ fields, search }) => {
      for (const id of ['f-source', 'f-ip', 'f-target']) (document.getElementById(id) as HTMLInputElement).value = fields[id] ?? '';
      for (const id of ['f-from', 'f-operation', 'f-result', 'range']) {
        const select = document.getElementById(id) as HTMLSelectElement;
        const want = fields[id] ?? (id === 'range' ? '24h' : '');
        if (![...select.options].some((o) => o.value === want)) select.add(new Option(want, want));
        select.value = want;
      }
      (document.getElementById('search') as HTMLInputElement).value = search;
    },
    { fields, search },
  );
  await page.click('#filters button[type=submit]');
}

function params(page: Page): URLSearchParams {
  return new URL(page.url()).searchParams;
}

export async function dashboardScenario(t: TestContext, browser: Browser, target: DashboardTarget): Promise<void> {
  const main = await openContext(browser, target.context);
  const { page } = main;
  await main.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(target.pageUrl).origin });
  await target.signIn(main);
  try {
    await t.test('the page loads under a strict CSP, newest first, and its address keeps no token', async () => {
      const response = await page.goto(target.openUrl);
      assert.equal(response?.status(), 200);
      const headers = response!.headers();
      assert.equal(headers['content-security-policy'], CONTENT_SECURITY_POLICY);
      assert.match(CONTENT_SECURITY_POLICY, /script-src 'self';/);
      assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-inline|unsafe-eval|https?:/);
      assert.equal(headers['x-content-type-options'], 'nosniff');
      await waitForRows(page, 50);
      assert.equal(page.url(), target.pageUrl);
      const times = await rowTexts(page, 'c-time');
      assert.deepEqual([...times].sort().reverse(), times);
      assert.ok((await rowTexts(page, 'c-operator')).some((o) => o.startsWith('alice')));
      // Every asset came from the mount itself.
      const external = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name).filter((n) => !n.startsWith(location.origin)));
      assert.deepEqual(external, []);
    });

    await t.test('each filter: operator, IP, operation, result, source type, target, time range', async () => {
      await apply(page, { 'f-source': 'alice' });
      await waitForRows(page, 2);
      assert.deepEqual((await rowTexts(page, 'c-operator')).map((s) => s.trim()), ['alice', 'alice']);
      assert.equal(params(page).get('source'), 'alice');

      await apply(page, { 'f-ip': '192.168.1.0/24' });
      await waitForRows(page, 1);
      assert.deepEqual(await rowTexts(page, 'c-operator'), ['bob']);

      await page.waitForSelector('#f-operation option[value="/login"]', { state: 'attached' });
      await apply(page, {});
      await waitForRows(page, 50);
      await page.selectOption('#f-operation', '/login');
      await waitForRows(page, 1);
      assert.deepEqual(await rowTexts(page, 'c-info'), ['POST /login']);

      await apply(page, { 'f-result': 'failure' });
      await waitForRows(page, 2);
      assert.deepEqual(await rowTexts(page, 'c-operator'), ['bob', 'erin']);
      assert.deepEqual(await rowTexts(page, 'c-status'), ['401', '503']);

      await apply(page, { 'f-from': 'cli' });
      await waitForRows(page, 1);
      assert.deepEqual(await rowTexts(page, 'c-info'), ['cli.command · users delete → user/42']);

      await apply(page, { 'f-target': 'user/42' });
      await waitForRows(page, 3);
      assert.deepEqual(await rowTexts(page, 'c-operator'), ['alice', 'alice', 'carol']);

      await apply(page, {}, 'source:dave');
      await waitForRows(page, 1);
      await apply(page, { range: '1h' }, 'source:dave');
      await waitForRows(page, 0);
      assert.equal(await page.textContent('#status'), 'No records match.');
      assert.equal(params(page).get('range'), '1h');
    });

    await t.test('a malformed filter is refused by the API, and the page names the parameter', async () => {
      await apply(page, { 'f-ip': 'not-an-address' });
      await page.waitForSelector('#notice:not([hidden])');
      assert.match((await page.textContent('#notice'))!, /^The audit log refused the query: source_ip: /);
      // The browser logs the 400s the API answered; they are this test's, not a fault of the page.
      const refused = main.problems.filter((p) => /status of 400/.test(p));
      assert.ok(refused.length >= 1);
      main.problems.splice(0, main.problems.length, ...main.problems.filter((p) => !refused.includes(p)));
      await apply(page, {});
      await waitForRows(page, 50);
      assert.equal(await page.isHidden('#notice'), true);
    });

    await t.test('dragging across the histogram narrows the range to the selection', async () => {
      await page.waitForSelector('#histogram .u-over');
      const box = (await page.locator('#histogram .u-over').boundingBox())!;
      const before = Date.now();
      await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.75, box.y + box.height / 2, { steps: 5 });
      await page.mouse.up();
      await page.waitForFunction(() => new URL(location.href).searchParams.has('gte_created_at'));
      const gte = Date.parse(params(page).get('gte_created_at')!);
      const lte = Date.parse(params(page).get('lte_created_at')!);
      // The chart spans the last 24 hours: half-way to three quarters is 12 h to 6 h ago, give or take a bar.
      assert.ok(Math.abs(before - gte - 12 * 3600e3) < 3600e3, `from ${new Date(gte).toISOString()}`);
      assert.ok(Math.abs(before - lte - 6 * 3600e3) < 3600e3, `to ${new Date(lte).toISOString()}`);
      assert.equal(await page.inputValue('#range'), 'custom');
      await page.goBack();
      await waitForRows(page, 50);
      assert.equal(await page.inputValue('#range'), '24h');
    });

    await t.test('free text and key:value qualifiers in one search box', async () => {
      await apply(page, {}, 'quarterly');
      await waitForRows(page, 1);
      assert.deepEqual(await rowTexts(page, 'c-info'), ['user.role_changed → user/42']);
      assert.equal(params(page).get('q'), 'quarterly');

      await apply(page, {}, 'status:>=500');
      await waitForRows(page, 1);
      assert.deepEqual(await rowTexts(page, 'c-operator'), ['erin']);
      assert.equal(await page.inputValue('#search'), 'status:>=500');
      assert.equal(params(page).get('http_status_code'), '>=500');

      await apply(page, {}, 'source:bob ip:192.168.1.7 target:user/42');
      await waitForRows(page, 0);
      await apply(page, {}, 'source:alice target:user/42 role');
      await waitForRows(page, 1);
      assert.equal(await page.inputValue('#search'), 'role');
      assert.equal(await page.inputValue('#f-source'), 'alice');
      assert.equal(await page.inputValue('#f-target'), 'user/42');
    });

    await t.test('paging by cursor past the first page, by button and by scrolling', async () => {
      await apply(page, { 'f-source': 'bot' });
      await waitForRows(page, 50);
      await page.click('#more');
      await waitForRows(page, 100);
      await page.locator('#more').scrollIntoViewIfNeeded();
      await waitForRows(page, 120);
      assert.equal(await page.isHidden('#more'), true);
      assert.equal(await page.textContent('#status'), '120 records, newest first');
      const times = await rowTexts(page, 'c-time');
      assert.equal(new Set(times).size, 120);
      assert.deepEqual([...times].sort().reverse(), times);
    });

    await t.test('the detail drawer: the whole record, masked values marked, copied exactly', async () => {
      await apply(page, { 'f-source': 'bob' });
      await waitForRows(page, 1);
      await page.click('#rows tr td.c-time');
      await page.waitForSelector('#drawer:not([hidden])');
      assert.match((await page.textContent('#summary'))!, /Operatorbob \(none, verified\)/);
      assert.equal(await page.textContent('#json .j-masked'), '"******"');
      assert.equal(await page.textContent('#json .j-mask-label'), ' masked');
      assert.deepEqual(JSON.parse((await page.textContent('#json'))!.replace(/ masked/g, '')), JSON.parse(target.bobLine));
      assert.ok(params(page).get('id'));
      await page.click('#copy');
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), target.bobLine);
      await page.keyboard.press('Escape');
      await page.waitForSelector('#drawer', { state: 'hidden' });
      assert.equal(params(page).get('id'), null);
    });

    await t.test('pivots: every record of the request, the history of the target, a click adds a filter', async () => {
      await apply(page, { 'f-source': 'alice' });
      await waitForRows(page, 2);
      await page.click('#rows tr:nth-child(2) td.c-time');
      await page.waitForSelector('#drawer:not([hidden])');
      await page.click('#pivot-request');
      await waitForRows(page, 2);
      assert.equal(params(page).get('request_id'), 'req-alice-1');
      assert.equal(params(page).get('source'), null);
      assert.equal(params(page).get('range'), 'all');
      assert.deepEqual(await rowTexts(page, 'c-info'), ['PUT /users/:id → user/42', 'user.role_changed → user/42']);

      await page.click('#rows tr:nth-child(1) td.c-time');
      await page.waitForSelector('#drawer:not([hidden])');
      await page.click('#pivot-target');
      await waitForRows(page, 3);
      assert.equal(params(page).get('target_type'), 'user');
      assert.equal(params(page).get('target_id'), '42');
      assert.equal(params(page).get('request_id'), null);

      await page.click('#rows button[data-filter="source"] >> text=carol');
      await waitForRows(page, 1);
      assert.equal(params(page).get('source'), 'carol');
      assert.equal(params(page).get('target_id'), '42');
    });

    await t.test('live mode appends a record made after the page loaded, keeping the reader in place', async () => {
      await page.goto(target.pageUrl);
      await waitForRows(page, 50);
      await page.evaluate(() => window.scrollTo(0, 700));
      const anchor = await page.$eval('#rows tr:nth-child(30)', (row) => ({ id: row.getAttribute('data-id')!, top: row.getBoundingClientRect().top }));
      // The keyboard, not a click: clicking the button would scroll it into view first.
      await page.keyboard.press('l');
      await page.waitForFunction(() => document.getElementById('live')!.dataset.state === 'open');
      await target.makeRecord();
      await waitForRows(page, 51);
      assert.match((await page.textContent('#rows tr.fresh'))!, /configs/);
      assert.match((await page.textContent('#status'))!, /1 new/);
      const top = await page.$eval(`#rows tr[data-id="${anchor.id}"]`, (row) => row.getBoundingClientRect().top);
      assert.ok(Math.abs(top - anchor.top) < 1, `the row read moved from ${anchor.top} to ${top}`);
      await page.click('#live');
    });

    await t.test('exports of the current filter, downloaded and parsed: NDJSON and CSV', async () => {
      await page.goto(`${target.pageUrl}?source=bot`);
      await waitForRows(page, 50);
      const [ndjson] = await Promise.all([page.waitForEvent('download'), page.click('#export-ndjson')]);
      assert.match(ndjson.suggestedFilename(), /^audit-.*\.ndjson$/);
      const lines = readFileSync((await ndjson.path())!, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.equal(lines.length, 121);
      assert.ok(lines.slice(0, 120).every((r) => r.source === 'bot'));
      assert.deepEqual(lines[120], { export_end: { complete: true, count: 120 } });

      const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
      const rows = readFileSync((await csv.path())!, 'utf8').trimEnd().split('\r\n');
      assert.match(rows[0]!, /^time,id,event,level,node,from,source,/);
      assert.equal(rows.length, 122);
      assert.equal(rows[121], '# export complete: 120 records');
    });

    await t.test('the URL holds filters, range and zone: a link reproduces the view, back and forward work', async () => {
      await page.goto(target.pageUrl);
      await waitForRows(page, 50);
      assert.equal(await page.textContent('#time-head'), 'Time (UTC+01:00)');
      await apply(page, { 'f-source': 'alice', range: '1h' });
      await waitForRows(page, 2);
      const localTimes = await rowTexts(page, 'c-time');
      await page.click('#zone');
      await page.waitForFunction(() => document.getElementById('time-head')!.textContent === 'Time (UTC)');
      const utcTimes = await rowTexts(page, 'c-time');
      // Berlin is an hour ahead of UTC in December.
      assert.equal(Number(localTimes[0]!.slice(11, 13)), (Number(utcTimes[0]!.slice(11, 13)) + 1) % 24);
      const link = page.url();
      assert.deepEqual(Object.fromEntries(new URL(link).searchParams), { source: 'alice', range: '1h', tz: 'utc' });

      const other = await main.context.newPage();
      await other.goto(target.withAuth(link));
      await waitForRows(other, 2);
      assert.equal(await other.inputValue('#f-source'), 'alice');
      assert.equal(await other.inputValue('#range'), '1h');
      assert.equal(await other.textContent('#zone'), 'UTC');
      assert.deepEqual(await rowTexts(other, 'c-time'), utcTimes);
      await other.close();

      await page.goBack();
      await page.waitForFunction(() => document.getElementById('time-head')!.textContent === 'Time (UTC+01:00)');
      await waitForRows(page, 2);
      await page.goBack();
      await waitForRows(page, 50);
      assert.equal(await page.inputValue('#f-source'), '');
      await page.goForward();
      await waitForRows(page, 2);
      assert.equal(await page.inputValue('#f-source'), 'alice');
    });

    await t.test('keyboard: / to search, j to move, Enter opens, Escape closes', async () => {
      await page.goto(target.pageUrl);
      await waitForRows(page, 50);
      await page.keyboard.press('/');
      await page.keyboard.type('source:erin');
      await page.keyboard.press('Enter');
      await waitForRows(page, 1);
      await page.keyboard.press('Escape');
      await page.keyboard.press('j');
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-id') !== null), true);
      await page.keyboard.press('Enter');
      await page.waitForSelector('#drawer:not([hidden])');
      await page.keyboard.press('Escape');
      await page.waitForSelector('#drawer', { state: 'hidden' });
    });

    await t.test('a narrow screen has no horizontal scrolling; dark mode switches', async () => {
      await page.setViewportSize({ width: 390, height: 800 });
      await waitForRows(page, 1);
      // The chart follows the width on the next frame (ResizeObserver).
      await page.waitForFunction(() => document.documentElement.scrollWidth <= 390);
      assert.equal(await page.isHidden('#records thead'), true);
      await page.setViewportSize({ width: 1280, height: 800 });
      const before = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      await page.click('#theme');
      const after = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      assert.notEqual(after, before);
      await page.click('#theme');
    });

    await t.test('the page ran without a console error or a CSP violation', () => {
      assert.deepEqual(main.problems, []);
    });

    await t.test('hostile records render as text and execute nothing, even with CSP switched off', async () => {
      const hostile = await openContext(browser, { ...target.context, bypassCSP: true });
      try {
        await target.signIn(hostile);
        await hostile.page.goto(`${target.openUrl}${target.openUrl.includes('?') ? '&' : '?'}operation_type=hostile`);
        await waitForRows(hostile.page, 2);
        assert.deepEqual(await rowTexts(hostile.page, 'c-operator'), [HOSTILE_SOURCE, '"><img src=x onerror=__pwned("source2")>']);
        const info = await rowTexts(hostile.page, 'c-info');
        assert.equal(info[0], `POST ${HOSTILE_OPERATION} → link/${HOSTILE_TARGET}`);
        assert.equal(info[1], 'POST /\u2028<script>__pwned("op2")</script>');
        await hostile.page.click('#rows tr:nth-child(1) td.c-time');
        await hostile.page.waitForSelector('#drawer:not([hidden])');
        const json = (await hostile.page.textContent('#json'))!;
        assert.ok(json.includes('"note": "</pre><script>__pwned(\\"meta\\")</script>"'));
        assert.ok(json.includes('line\u2028break\u2029end'));
        // The hostile values as filters, in the fields and the search box, too.
        await hostile.page.keyboard.press('Escape');
        await hostile.page.click('#rows tr:nth-child(1) button[data-filter="source"]');
        await waitForRows(hostile.page, 1);
        await hostile.page.hover('#rows tr td.c-info');
        await hostile.page.waitForTimeout(300);
        const injected = await hostile.page.evaluate(() => document.body.querySelectorAll('img, script, svg, iframe, b, a[href^="javascript"]').length);
        assert.equal(injected, 0);
        assert.deepEqual(hostile.pwned, []);
        assert.deepEqual(hostile.problems, []);
      } finally {
        await hostile.context.close();
      }
    });

    await t.test('a refused viewer: the page says so and shows no records', async () => {
      await page.goto(target.pageUrl);
      await waitForRows(page, 50);
      const status = await target.refuse(main);
      assert.equal(status, 401);
      await page.click('#filters button[type=submit]');
      await page.waitForSelector('#notice:not([hidden])');
      assert.match((await page.textContent('#notice'))!, /401/);
      await waitForRows(page, 0);
    });
  } finally {
    await main.context.close();
  }
}
