/**
 * The dashboard benchmark: page weight (JavaScript and CSS gzipped, the whole page), and in Chromium
 * the time to the first rows and to a filtered result against a SQLite store of 1,000,000 records,
 * beside the same API calls made without a browser (the baseline: what the page cannot beat).
 *
 *   pnpm --filter @auditkit/bench dashboard        writes docs/benchmarks-dashboard.md
 *
 * Environment: STORED (records, default 1000000), REPS (runs per figure, 5), KEEP=1 keeps the
 * generated store in .tmp/ for the next run (it is reused when its size matches).
 */
import { once } from 'node:events';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { canonicalJson } from '@auditkit/core';
import { audit, auditLog } from '@auditkit/express';
import { createDashboard } from '@auditkit/dashboard';
import { openSqliteStore, type SqliteStore } from '@auditkit/store';
import express from 'express';
import { chromium, type Page } from 'playwright-core';

const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const STORED = env('STORED', 1_000_000);
const REPS = env('REPS', 5);
const root = fileURLToPath(new URL('..', import.meta.url));
const dataDir = join(root, '.tmp', 'bench-dashboard');
const NOW = Date.now() * 1000;
const SPAN = 7 * 24 * 3600 * 1_000_000;

// ---------------------------------------------------------------------------------------------
// A store of STORED records over the last 7 days: 1000 operators (a few very active), 40 routes,
// 4% failures, a body of a few varied words. Written with the store's own batch insert.

const ROUTES = Array.from({ length: 40 }, (_, i) => `/api/${['users', 'projects', 'billing', 'reports', 'keys'][i % 5]}/${i}/:id`);
const WORDS = 'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec romeo sierra tango'.split(' ');

function timeOf(i: number): number {
  return NOW - SPAN + Math.floor((i / STORED) * SPAN);
}

function idOf(i: number, time = timeOf(i)): string {
  const hex = time.toString(16).padStart(14, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${hex.slice(12, 14)}0-8000-${String(i).padStart(12, '0')}`;
}

function line(i: number): string {
  const time = timeOf(i);
  const route = ROUTES[(i * 31) % ROUTES.length]!;
  const status = i % 25 === 0 ? (i % 50 === 0 ? 500 : 403) : 200;
  const op = `user-${Math.floor(1000 * Math.pow(((i * 7919) % 1000) / 1000, 2))}`;
  return canonicalJson({
    aborted: false,
    auth_error: null,
    auth_type: 'jwt_token',
    bindings: { id: String(i % 10_000) },
    duration_ms: (i % 997) / 3,
    event: 'request',
    from: i % 4 === 0 ? 'dashboard' : 'rest_api',
    http_method: ['post', 'put', 'patch', 'delete'][i % 4],
    http_request: { body: { note: `${WORDS[i % 20]} ${WORDS[(i >> 3) % 20]} ${WORDS[(i >> 6) % 20]} ${i % 9973}`, password: '******' }, body_bytes: 80, body_recorded: 'full', body_type: 'application/json', headers: { 'user-agent': 'bench/1.0' }, method: 'POST' },
    http_status_code: status,
    id: idOf(i, time),
    level: status >= 400 ? 'warn' : 'info',
    meta: { tenant: `t${i % 50}` },
    node: `node-${i % 5}`,
    operation_id: route,
    operation_result: status >= 400 ? 'failure' : 'success',
    operation_type: route.split('/')[2],
    query_string: {},
    request_id: `req-${i}`,
    source: op,
    source_ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    source_verified: true,
    target: { type: 'project', id: String(i % 10_000), name: null },
    time,
    truncated: false,
    ts: new Date(Math.floor(time / 1000)).toISOString(),
    user_agent: 'bench/1.0',
  });
}

async function openStore(): Promise<{ store: SqliteStore; fillRate: number | undefined }> {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, `audit-${STORED}.db`);
  if (existsSync(path)) {
    const store = await openSqliteStore({ path, maxAgeDays: null, maxRecords: null, thread: 'main' });
    const { value: count } = await store.count([], STORED + 1);
    // Earlier runs' own reads are in it too (every read is audited into the store it reads).
    // (The records' times are relative to the run that wrote them: reuse a store only for runs close after it.)
    const complete = count >= STORED;
    await store.close();
    if (complete) return { store: await openSqliteStore({ path, maxAgeDays: null, maxRecords: null }), fillRate: undefined };
    rmSync(path, { force: true });
  }
  const store = await openSqliteStore({ path, maxAgeDays: null, maxRecords: null, thread: 'main' });
  const started = performance.now();
  const batch = 5000;
  for (let i = 0; i < STORED; i += batch) {
    const lines: string[] = [];
    for (let k = i; k < Math.min(STORED, i + batch); k++) lines.push(line(k));
    await store.write(lines);
    if (i % 100_000 === 0) process.stderr.write(`  filled ${i.toLocaleString('en-US')}\n`);
  }
  const fillRate = STORED / ((performance.now() - started) / 1000);
  // Filled on the main thread (faster); served as an application opens it, from a worker thread.
  await store.close();
  return { store: await openSqliteStore({ path, maxAgeDays: null, maxRecords: null }), fillRate };
}

// ---------------------------------------------------------------------------------------------

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number): string => (x < 10 ? x.toFixed(1) : Math.round(x).toLocaleString('en-US'));

interface Filter {
  name: string;
  /** The page's address query and the API's, the same names. */
  query: string;
  apply(page: Page): Promise<void>;
}

async function submit(page: Page, set: (doc: Document) => void): Promise<void> {
  await page.evaluate(`(${set.toString()})(document)`);
  await page.click('#filters button[type=submit]');
}

const FILTERS: Filter[] = [
  { name: 'operator (`source=user-500`)', query: 'source=user-500', apply: (p) => submit(p, (d) => void ((d.getElementById('f-source') as HTMLInputElement).value = 'user-500')) },
  { name: 'result (`operation_result=failure`)', query: 'operation_result=failure', apply: (p) => p.selectOption('#f-result', 'failure').then(() => undefined) },
  { name: 'status qualifier (`status:5xx`)', query: 'http_status_code=5xx', apply: (p) => submit(p, (d) => void ((d.getElementById('search') as HTMLInputElement).value = 'status:5xx')) },
  { name: 'free text (`q=juliet kilo`)', query: 'q=juliet%20kilo', apply: (p) => submit(p, (d) => void ((d.getElementById('search') as HTMLInputElement).value = 'juliet kilo')) },
];

async function main(): Promise<void> {
  const { store, fillRate } = await openStore();
  const audited = audit({ sinks: [{ transport: store.transport }] });
  const app = express();
  app.use(audited);
  const mount = auditLog({ store, auditor: audited, authorize: 'public', dashboard: createDashboard() });
  app.use('/admin/audit', mount);
  const server = http.createServer(app).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/admin/audit/`;

  // Page weight: what the browser fetched, gzipped as a server would send it.
  const html = await (await fetch(base)).text();
  const assets = [...html.matchAll(/(?:src|href)="(assets\/[^"]+)"/g)].map((m) => m[1]!);
  const weights: Array<[string, number, number]> = [['page (HTML)', Buffer.byteLength(html), gzipSync(html).length]];
  for (const a of assets) {
    const body = await (await fetch(base + a)).text();
    weights.push([a.endsWith('.css') ? 'stylesheet' : 'script (incl. uPlot)', Buffer.byteLength(body), gzipSync(body).length]);
  }
  const jsCss = weights.slice(1).reduce((n, w) => n + w[2], 0);
  const all = weights.reduce((n, w) => n + w[2], 0);

  // Baseline: the page's first calls made straight to the API, no browser.
  const apiTimes = async (path: string): Promise<number> => {
    const xs: number[] = [];
    for (let r = 0; r < REPS; r++) {
      const t = performance.now();
      await (await fetch(base + path)).text();
      xs.push(performance.now() - t);
    }
    return median(xs);
  };
  const day = `gte_created_at=${Math.floor(Date.now() - 24 * 3600e3)}&event=!audit.log.view,audit.log.export`;
  const baseline = {
    records: await apiTimes(`records?limit=50&${day}`),
    histogram: await apiTimes(`histogram?buckets=60&${day}&lte_created_at=${Date.now()}`),
    filtered: {} as Record<string, number>,
  };
  // One after the other: the store answers one query at a time, and concurrent calls would time the queue.
  for (const f of FILTERS) baseline.filtered[f.name] = await apiTimes(`records?limit=50&${day}&${f.query}`);

  const browser = await chromium.launch({ executablePath: process.env.AUDITKIT_CHROMIUM ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  const cold: number[] = [];
  const warm: number[] = [];
  const chart: number[] = [];
  const filtered = new Map<string, number[]>(FILTERS.map((f) => [f.name, []]));
  try {
    for (let r = 0; r < REPS; r++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      for (const [k, list] of [['cold', cold], ['warm', warm]] as const) {
        const t = performance.now();
        await page.goto(base + (k === 'warm' ? '?' : ''));
        await page.waitForSelector('#rows tr');
        list.push(performance.now() - t);
        await page.waitForSelector('#histogram .uplot');
        if (k === 'cold') chart.push(performance.now() - t);
        // Idle before the next step (histogram and menus answered), as a reader would be.
        await page.waitForLoadState('networkidle');
      }
      for (const f of FILTERS) {
        await page.goto(base);
        await page.waitForSelector('#rows tr');
        await page.waitForLoadState('networkidle');
        const t = performance.now();
        await f.apply(page);
        await page.waitForFunction(
          (q) => location.search.includes(q.split('=')[0]!) && /record/.test(document.getElementById('status')!.textContent ?? ''),
          f.query,
        );
        filtered.get(f.name)!.push(performance.now() - t);
      }
      await context.close();
    }
  } finally {
    await browser.close();
    await mount.close();
    server.close();
    server.closeAllConnections();
    await audited.close();
    await store.close();
    if (process.env.KEEP !== '1') rmSync(dataDir, { recursive: true, force: true });
  }

  const cpu = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}`;
  const out = `# Dashboard benchmarks

Measured by \`pnpm --filter @auditkit/bench dashboard\` (bench/dashboard.ts) on ${new Date().toISOString().slice(0, 10)}: ${cpu}, Node
${process.version}, Debian's Chromium (headless) driven by playwright-core, all on 127.0.0.1. Load average at the end:
${loadavg()[0]!.toFixed(1)}. **Read the absolute figures with care:** this machine has ${cpus().length} cores shared with other jobs; the
baseline (the same API calls without a browser, in the same run) says how much of each figure is the store.

The store: ${STORED.toLocaleString('en-US')} records in SQLite over the last 7 days (${ms(STORED / 7)} a day, 4 % failures, 1,000 operators),
${fillRate === undefined ? 'reused from an earlier run' : `written with the store's batch insert at ${Math.round(fillRate).toLocaleString('en-US')} records/s`}. The page's default view is the last 24 hours
(about ${Math.round(STORED / 7).toLocaleString('en-US')} records): 50 rows, a 60-bucket histogram of the whole range, and the menus' distinct values.
Median of ${REPS} runs.

## Page weight

Goal: ≤ 150 KB of JavaScript and CSS, gzipped, for the whole page. Nothing else is loaded (no fonts, no images, no
third-party origin).

| file | bytes | gzipped |
|---|---:|---:|
${weights.map(([n, b, g]) => `| ${n} | ${b.toLocaleString('en-US')} | ${g.toLocaleString('en-US')} |`).join('\n')}
| **JavaScript and CSS** | | **${(jsCss / 1024).toFixed(1)} KB** |
| whole page | | ${(all / 1024).toFixed(1)} KB |

## Time to first rows

From \`page.goto\` to the first row in the table. Goal: ≤ 1 s.

| | ms |
|---|---:|
| first visit (empty cache) | ${ms(median(cold))} |
| reload (assets cached) | ${ms(median(warm))} |
| histogram drawn, first visit | ${ms(median(chart))} |
| baseline: \`GET /records?limit=50\` (last 24 h) without a browser | ${ms(baseline.records)} |
| baseline: \`GET /histogram?buckets=60\` (last 24 h) without a browser | ${ms(baseline.histogram)} |

## Time to a filtered result

From the filter's submit (or menu change) on a loaded, idle page (its histogram and menus answered) to its rows on
screen, within the last 24 hours. Goal: ≤ 300 ms.

| filter | page ms | baseline: the API alone, ms |
|---|---:|---:|
${FILTERS.map((f) => `| ${f.name} | ${ms(median(filtered.get(f.name)!))} | ${ms(baseline.filtered[f.name]!)} |`).join('\n')}

The page asks for the rows first and shows them as soon as \`/records\` answers; the histogram is asked for next and the
menus (three \`/distinct\` calls) only when the range changes. The store answers one query at a time, so a slow
histogram over a large range delays whatever is asked after it (a filter applied while it runs waits for it); every
read also writes its own \`audit.log.view\` record to the same store.
`;
  writeFileSync(join(root, 'docs', 'benchmarks-dashboard.md'), out);
  process.stdout.write(out);
}

await main();
