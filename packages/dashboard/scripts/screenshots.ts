/**
 * The screenshots in docs/dashboard/ (list with histogram, detail drawer, dark mode), taken in
 * Chromium from a real Express mount over a day of made-up but plausible records. Run by hand:
 *
 *   node --import tsx packages/dashboard/scripts/screenshots.ts
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seedLine } from '../../api/test/records.js';
import { launchBrowser, openContext, waitForRows } from '../test/browser.js';
import { mountDashboard } from '../test/mounts.js';

const out = fileURLToPath(new URL('../../../docs/dashboard/', import.meta.url));
mkdirSync(out, { recursive: true });

const ROUTES: Array<[string, string, string, string | undefined]> = [
  ['put', '/orgs/:orgId/users/:id/role', 'orgs', 'user'],
  ['post', '/orgs/:orgId/users', 'orgs', 'user'],
  ['delete', '/orgs/:orgId/users/:id', 'orgs', 'user'],
  ['patch', '/projects/:id', 'projects', 'project'],
  ['post', '/api-keys', 'api-keys', 'api_key'],
  ['post', '/session', 'session', undefined],
];
const OPERATORS = ['alice', 'bob', 'carol', 'deploy-bot', 'ops-oncall'];

function day(nowUs: number): string[] {
  const lines: string[] = [];
  const hour = 3600 * 1_000_000;
  for (let i = 0; i < 600; i++) {
    const [method, route, type, target] = ROUTES[(i * 7) % ROUTES.length]!;
    // A burst of failed logins from one address about five hours ago.
    const burst = i >= 300 && i < 340;
    const time = burst ? nowUs - 5 * hour + (i - 300) * 20_000_000 : nowUs - Math.floor(((i * 7919) % 600) / 600 * 24 * hour) - i * 1000;
    const status = burst ? 401 : i % 23 === 0 ? 403 : i % 31 === 0 ? 500 : method === 'post' ? 201 : 200;
    lines.push(
      seedLine({
        n: 5000 + i,
        time,
        source: burst ? 'mallory' : OPERATORS[i % OPERATORS.length]!,
        source_ip: burst ? '203.0.113.7' : `10.0.${i % 4}.${10 + (i % 30)}`,
        http_method: burst ? 'post' : method,
        operation_id: burst ? '/session' : route,
        operation_type: burst ? 'session' : type,
        http_status_code: status,
        duration_ms: Math.round(30 + ((i * 37) % 2400)) / 10,
        request_id: `0193b2c4-${String(i).padStart(4, '0')}-7000-8000-00000000a1b2`,
        target: burst || target === undefined ? null : { type: target, id: String(40 + (i % 9)), name: target === 'user' ? `Ada ${i % 9}` : undefined },
        body: burst ? { user: 'mallory', password: '******' } : method === 'put' ? { role: i % 2 ? 'admin' : 'member', reason: 'on-call rotation' } : { name: `item ${i}` },
      }),
    );
  }
  return lines;
}

const mounted = await mountDashboard('express', day(Date.now() * 1000));
const browser = await launchBrowser();
try {
  for (const theme of ['light', 'dark'] as const) {
    const w = await openContext(browser, { colorScheme: theme, timezoneId: 'Europe/Berlin' });
    await w.context.addCookies([{ name: 'session', value: 'auditor', url: new URL(mounted.pageUrl).origin }]);
    await w.page.goto(mounted.pageUrl);
    await waitForRows(w.page, 50);
    await w.page.waitForSelector('#histogram .uplot');
    await w.page.waitForTimeout(300);
    if (theme === 'light') {
      await w.page.screenshot({ path: join(out, 'list.png') });
      await w.page.click('#rows tr:nth-child(3) td.c-time');
      await w.page.waitForSelector('#drawer:not([hidden])');
      await w.page.screenshot({ path: join(out, 'detail.png') });
    } else {
      await w.page.goto(`${mounted.pageUrl}?operation_result=failure`);
      await waitForRows(w.page, 50);
      await w.page.waitForSelector('#histogram .uplot');
      await w.page.waitForTimeout(300);
      await w.page.screenshot({ path: join(out, 'dark.png') });
    }
    await w.context.close();
  }
} finally {
  await browser.close();
  await mounted.close();
}
