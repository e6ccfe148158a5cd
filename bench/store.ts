/**
 * The store benchmark: records/s into each backend through the whole pipeline, event-loop delay while
 * writing, query latency on 1,000,000 stored records, and export speed and memory.
 *
 *   pnpm --filter @auditkit/bench store        writes docs/benchmarks-store.md
 *
 * Environment: RECORDS (pipeline runs, default 100000), RUNS (3), RATE (paced records/s for the
 * event-loop runs, 5000), PACED_S (5), STORED (records for the query runs, 1000000), QUERY_REPS (40),
 * PG (connection string, default postgres://postgres@127.0.0.1:5432/test), SKIP_QUERIES=1.
 * PostgreSQL works in a schema of its own, dropped at the end.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Auditor, AuditFileTransport, canonicalJson, type AdapterBinding, type AuditOptions } from '@auditkit/core';
import { openSqliteStore, type AuditFilter, type AuditStore, type FilterSet } from '@auditkit/store';
import { openPostgresStore } from '@auditkit/store-postgres';
import pg from 'pg';

const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const RECORDS = env('RECORDS', 100_000);
const RUNS = env('RUNS', 3);
const RATE = env('RATE', 5000);
const PACED_S = env('PACED_S', 5);
const STORED = env('STORED', 1_000_000);
const QUERY_REPS = env('QUERY_REPS', 40);
const PG_URL = process.env.PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const schemaBase = `bench_${process.pid}`;
const schemas: string[] = [];
const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'auditkit-bench-store-'));
  dirs.push(d);
  return d;
};

// ---------------------------------------------------------------------------------------------
// Records. Bodies of varied words (not one repeated character), so the trigram indexes do real
// work; records are 1.5–2 KB as canonical lines.

const WORDS = 'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu invoice project member billing report export import policy tenant region cluster'.split(' ');
function words(seed: number, n: number): string {
  let x = seed * 2654435761 >>> 0;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out.push(WORDS[x % WORDS.length]!);
  }
  return out.join(' ');
}
const bodyOf = (i: number) => ({ name: `Project ${i % 5000}`, email: `user${i % 997}@example.com`, password: 'hunter2', token: 'abc.def.ghi', address: { street: `${i % 300} Main St`, city: 'London', zip: 'N1' }, notes: words(i, 70), tags: [words(i + 1, 1), words(i + 2, 1)] });
const HEADERS = { host: 'api.example.com', 'content-type': 'application/json', authorization: 'Bearer abc', 'user-agent': 'bench/1.0', accept: 'application/json' };
const binding: AdapterBinding<object> = { setHeader() {}, watchCompletion() {} };

function emit(auditor: Auditor, i: number): void {
  const ctx = auditor.begin({ method: 'POST', headers: HEADERS, remoteAddress: `10.1.${(i >> 8) & 255}.${i & 255}` }, binding, {});
  ctx.complete({ route: '/api/projects/:id', params: { id: String(i) }, query: {}, body: bodyOf(i), statusCode: i % 10 === 0 ? 500 : 201, aborted: false, headersSent: true });
}

// ---------------------------------------------------------------------------------------------
// Sinks under test.

interface SinkUnderTest {
  name: string;
  make(): Promise<{ options: AuditOptions; close(): Promise<void> }>;
}

const pgSchema = (): string => {
  const s = `${schemaBase}_${schemas.length}`;
  schemas.push(s);
  return s;
};

const SINKS: SinkUnderTest[] = [
  { name: 'file sink (baseline)', make: async () => ({ options: { sinks: [new AuditFileTransport({ path: join(tempDir(), 'audit.log') })] }, close: async () => {} }) },
  {
    name: 'SQLite store, worker thread (default)',
    make: async () => {
      const store = await openSqliteStore({ path: join(tempDir(), 'audit.db') });
      return { options: { sinks: [store.transport] }, close: () => store.close() };
    },
  },
  {
    name: 'SQLite store, main thread',
    make: async () => {
      const store = await openSqliteStore({ path: join(tempDir(), 'audit.db'), thread: 'main' });
      return { options: { sinks: [store.transport] }, close: () => store.close() };
    },
  },
  {
    name: 'PostgreSQL store',
    make: async () => {
      const store = await openPostgresStore({ connectionString: PG_URL, schema: pgSchema() });
      return { options: { sinks: [{ transport: store.transport, spool: false }] }, close: () => store.close() };
    },
  },
];

/** N records built by the core and pushed through the pipeline until close() confirmed every one. */
async function throughput(sink: SinkUnderTest): Promise<{ perSecond: number; written: number }> {
  const { options, close } = await sink.make();
  const auditor = new Auditor({ ...options, queue: { max: RECORDS * 2, batch: 512 } });
  const started = performance.now();
  for (let i = 0; i < RECORDS; i++) {
    emit(auditor, i);
    if (i % 512 === 0) await new Promise((r) => setImmediate(r));
  }
  await auditor.close({ timeoutMs: 900_000 });
  const perSecond = RECORDS / ((performance.now() - started) / 1000);
  const s = Object.values(auditor.stats().sinks)[0]!;
  await close();
  return { perSecond, written: s.written };
}

/** RATE records/s for PACED_S seconds, in 10 ms ticks, as requests would arrive; the event loop's delay meanwhile. */
async function pacedDelay(sink: SinkUnderTest): Promise<{ p50: number; p99: number; max: number; written: number }> {
  const { options, close } = await sink.make();
  const auditor = new Auditor(options);
  const h = monitorEventLoopDelay({ resolution: 1 });
  const perTick = Math.max(1, Math.round(RATE / 100));
  const ticks = PACED_S * 100;
  let i = 0;
  h.enable();
  const start = performance.now();
  for (let t = 0; t < ticks; t++) {
    for (let k = 0; k < perTick; k++) emit(auditor, i++);
    const next = start + (t + 1) * 10;
    await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
  }
  h.disable();
  await auditor.close({ timeoutMs: 300_000 });
  const s = Object.values(auditor.stats().sinks)[0]!;
  await close();
  return { p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max: h.max / 1e6, written: s.written };
}

// ---------------------------------------------------------------------------------------------
// A million stored records, spread over 30 days, for the query runs.

const NOW = Date.now() * 1000;
const DAY = 86_400_000_000;
const SPAN = 30 * DAY;
const OPERATORS = Array.from({ length: 200 }, (_, k) => `user${k}`);
const ROUTES = ['/api/projects/:id', '/api/projects', '/api/users/:id', '/api/users/:id/roles', '/api/billing/invoices/:id', '/api/reports/:id/export', '/login', '/api/tenants/:id/policy', '/api/clusters/:id', '/api/members/:id'];
const METHODS = ['post', 'put', 'patch', 'delete'];

function storedLine(i: number): string {
  // Skewed operators (a few do most), statuses mostly 2xx, one node of five.
  const op = OPERATORS[Math.floor(200 * Math.pow((i * 7919) % 1000 / 1000, 3))]!;
  const route = ROUTES[(i * 31) % ROUTES.length]!;
  const status = i % 50 === 0 ? 500 : i % 13 === 0 ? 404 : i % 7 === 0 ? 403 : 201;
  const time = NOW - SPAN + Math.floor((i / STORED) * SPAN);
  const body = bodyOf(i);
  body.password = '******';
  body.token = '******';
  return canonicalJson({
    aborted: false,
    auth_error: null,
    auth_type: 'jwt_token',
    bindings: { id: String(i % 10_000) },
    duration_ms: (i % 997) / 3,
    event: i % 20 === 0 ? 'project.renamed' : 'request',
    from: i % 4 === 0 ? 'dashboard' : 'rest_api',
    http_method: METHODS[i % 4],
    http_request: { body, body_bytes: 900, body_recorded: 'full', body_type: 'application/json', headers: { ...HEADERS, authorization: '******' }, method: METHODS[i % 4]!.toUpperCase() },
    http_status_code: status,
    id: `01${time.toString(16).padStart(14, '0').slice(0, 6)}-${time.toString(16).slice(-4)}-7${String(i % 1000).padStart(3, '0')}-8000-${String(i).padStart(12, '0')}`,
    level: status >= 400 ? 'warn' : 'info',
    meta: { tenant: `t${i % 50}` },
    node: `node-${i % 5}`,
    operation_id: route,
    operation_result: status >= 400 ? 'failure' : 'success',
    operation_type: route.split('/')[1] === 'api' ? route.split('/')[2] : route.split('/')[1],
    query_string: {},
    request_id: `req-${i}`,
    source: op,
    source_ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    source_verified: true,
    target: { type: 'project', id: String(i % 10_000), name: `Project ${i % 5000}` },
    time,
    truncated: false,
    ts: new Date(Math.floor(time / 1000)).toISOString(),
    user_agent: 'bench/1.0',
  });
}

async function fill(store: AuditStore & { write(lines: readonly string[]): Promise<unknown> }): Promise<number> {
  const started = performance.now();
  const batch = 2000;
  for (let i = 0; i < STORED; i += batch) {
    const lines: string[] = [];
    for (let k = i; k < Math.min(STORED, i + batch); k++) lines.push(storedLine(k));
    await store.write(lines);
    if (i % 100_000 === 0) process.stderr.write(`  filled ${i.toLocaleString('en-US')}\n`);
  }
  return STORED / ((performance.now() - started) / 1000);
}

const last24h: AuditFilter = { time: { gte: NOW - DAY, lte: NOW } };
const m = (field: string, value: string): AuditFilter => ({ match: { [field]: { values: [value], negate: false } } });
const QUERIES: Array<[string, FilterSet]> = [
  ['no filter (newest page)', []],
  ['source (an operator with ~0.3% of records)', [m('source', 'user150')]],
  ['source, a busy operator (~10%)', [m('source', 'user0')]],
  ['node', [m('node', 'node-3')]],
  ['from', [m('from', 'dashboard')]],
  ['operation_id', [m('operation_id', '/api/billing/invoices/:id')]],
  ['operation_type', [m('operation_type', 'reports')]],
  ['operation_result=failure', [m('operation_result', 'failure')]],
  ['http_method', [m('http_method', 'delete')]],
  ['http_status_code 500', [{ http_status_code: { values: [500], ranges: [], negate: false } }]],
  ['http_status_code >=400', [{ http_status_code: { values: [], ranges: [{ gte: 400 }], negate: false } }]],
  ['request_id (one record)', [m('request_id', 'req-123457')]],
  ['event', [m('event', 'project.renamed')]],
  ['target_id', [m('target_id', '4242')]],
  ['source_ip CIDR /24', [{ source_ip: { addresses: [], cidrs: [{ family: 4, network: '10.3.7.0', prefix: 24 }], negate: false } }]],
  ['duration_ms >= 300', [{ duration_ms: { gte: 300 } }]],
  ['source + last 24 h', [m('source', 'user150'), last24h]],
  ['operation_result=failure + last 24 h', [m('operation_result', 'failure'), last24h]],
  ['operation_id + last 24 h', [m('operation_id', '/login'), last24h]],
  ['free text, common word ("invoice")', [{ text: 'invoice' }]],
  ['free text, rare ("project 4242")', [{ text: 'project 4242' }]],
  ['free text, no match ("zzzqqq")', [{ text: 'zzzqqq' }]],
  ['free text + source', [{ text: 'tango' }, m('source', 'user150')]],
];

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

async function timed(fn: () => Promise<unknown>): Promise<{ p50: number; p95: number }> {
  await fn();
  const xs: number[] = [];
  for (let i = 0; i < QUERY_REPS; i++) {
    const t = performance.now();
    await fn();
    xs.push(performance.now() - t);
  }
  return { p50: pct(xs, 50), p95: pct(xs, 95) };
}

async function queryRuns(store: AuditStore): Promise<Array<[string, { p50: number; p95: number }]>> {
  const out: Array<[string, { p50: number; p95: number }]> = [];
  for (const [name, filters] of QUERIES) {
    out.push([name, await timed(() => store.query(filters, { limit: 100, direction: 'older' }))]);
    process.stderr.write(`  ${name}: p95 ${out.at(-1)![1].p95.toFixed(1)} ms\n`);
  }
  // A page deep in the table: the cursor of the record half-way back, as a client holding it would send.
  const mid = JSON.parse(storedLine(Math.floor(STORED / 2))) as { time: number; id: string };
  out.push(['deep cursor page (500,000 records back)', await timed(() => store.query([], { limit: 100, direction: 'older', after: { time: mid.time, id: mid.id } }))]);
  out.push(['deep cursor page + source', await timed(() => store.query([m('source', 'user0')], { limit: 100, direction: 'older', after: { time: mid.time, id: mid.id } }))]);
  out.push(['count, capped at 10,000 (operation_result=failure)', await timed(() => store.count([m('operation_result', 'failure')], 10_000))]);
  out.push(['distinct source (newest 100,000)', await timed(() => store.distinct('source', [], 100))]);
  out.push(['histogram, last 24 h, 60 buckets', await timed(() => store.histogram([], { from: NOW - DAY, to: NOW }, 60))]);
  return out;
}

async function exportRun(store: AuditStore): Promise<{ perSecond: number; records: number; peakRssMb: number; peakHeapMb: number }> {
  global.gc?.();
  let peakRss = process.memoryUsage().rss;
  let peakHeap = process.memoryUsage().heapUsed;
  const timer = setInterval(() => {
    const u = process.memoryUsage();
    peakRss = Math.max(peakRss, u.rss);
    peakHeap = Math.max(peakHeap, u.heapUsed);
  }, 20);
  let records = 0;
  let bytes = 0;
  const started = performance.now();
  for await (const batch of store.scan([], 1000)) {
    records += batch.length;
    for (const line of batch) bytes += line.length + 1;
  }
  clearInterval(timer);
  return { perSecond: records / ((performance.now() - started) / 1000), records, peakRssMb: peakRss / 2 ** 20, peakHeapMb: peakHeap / 2 ** 20 };
}

// ---------------------------------------------------------------------------------------------

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const ms = (n: number): string => n.toFixed(n < 10 ? 2 : 1);

const sample = Buffer.byteLength(storedLine(1));

const writeResults = new Map<string, number[]>();
for (let r = 0; r < RUNS; r++) {
  for (const sink of SINKS) {
    const result = await throughput(sink);
    (writeResults.get(sink.name) ?? writeResults.set(sink.name, []).get(sink.name)!).push(result.perSecond);
    console.error(`run ${r + 1} ${sink.name}: ${fmt(result.perSecond)} records/s (written ${result.written}/${RECORDS})`);
  }
}
const delayResults = new Map<string, Array<{ p50: number; p99: number; max: number }>>();
for (let r = 0; r < RUNS; r++) {
  for (const sink of SINKS) {
    const d = await pacedDelay(sink);
    (delayResults.get(sink.name) ?? delayResults.set(sink.name, []).get(sink.name)!).push(d);
    console.error(`paced ${r + 1} ${sink.name}: event-loop delay p99 ${ms(d.p99)} ms, max ${ms(d.max)} ms (written ${d.written})`);
  }
}

const queryTables: string[] = [];
const exportRows: string[] = [];
if (!process.env.SKIP_QUERIES) {
  const sqliteDir = tempDir();
  const sqlite = await openSqliteStore({ path: join(sqliteDir, 'audit.db'), maxAgeDays: null, maxRecords: null });
  console.error(`filling SQLite with ${fmt(STORED)} records`);
  const sqliteFill = await fill(sqlite);
  const pgStore = await openPostgresStore({ connectionString: PG_URL, schema: pgSchema(), maxAgeDays: null, maxRecords: null });
  console.error(`filling PostgreSQL with ${fmt(STORED)} records`);
  const pgFill = await fill(pgStore);
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`ANALYZE "${schemas.at(-1)}".records`);
  console.error('SQLite queries');
  const sq = await queryRuns(sqlite);
  console.error('PostgreSQL queries');
  const pq = await queryRuns(pgStore);
  const sizeSqlite = ['audit.db', 'audit.db-wal'].reduce((s, f) => s + (statSync(join(sqliteDir, f), { throwIfNoEntry: false })?.size ?? 0), 0);
  const sizePg = Number((await admin.query(`SELECT sum(pg_total_relation_size(c.oid)) AS n FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = p.relnamespace WHERE n.nspname = $1 AND p.relname = 'records'`, [schemas.at(-1)])).rows[0].n);
  await admin.end();
  queryTables.push(
    `Filled with ${fmt(STORED)} records of about ${fmt(sample)} bytes over 30 days (the store's own batch write, 2,000 a transaction): ` +
      `SQLite ${fmt(sqliteFill)} records/s, ${(sizeSqlite / 2 ** 30).toFixed(2)} GiB on disk; PostgreSQL ${fmt(pgFill)} records/s, ${(sizePg / 2 ** 30).toFixed(2)} GiB.`,
    '',
    '| query (first page of 100 unless said) | SQLite p50 | SQLite p95 | PostgreSQL p50 | PostgreSQL p95 |',
    '|---|---:|---:|---:|---:|',
    ...sq.map(([name, s], i) => `| ${name} | ${ms(s.p50)} | ${ms(s.p95)} | ${ms(pq[i]![1].p50)} | ${ms(pq[i]![1].p95)} |`),
  );
  for (const [name, store] of [['SQLite', sqlite], ['PostgreSQL', pgStore]] as const) {
    const e = await exportRun(store);
    exportRows.push(`| ${name} | ${fmt(e.records)} | ${fmt(e.perSecond)} | ${e.peakRssMb.toFixed(0)} | ${e.peakHeapMb.toFixed(0)} |`);
    console.error(`export ${name}: ${fmt(e.perSecond)} records/s, peak RSS ${e.peakRssMb.toFixed(0)} MB`);
  }
  await sqlite.close();
  await pgStore.close();
}

const baseline = median(writeResults.get(SINKS[0]!.name)!);
const out = `# Store benchmarks

Measured by \`pnpm --filter @auditkit/bench store\` (bench/store.ts) on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version},
PostgreSQL on the same machine (127.0.0.1). Records are about ${fmt(sample)} bytes as canonical lines (a POST with a 900-byte
JSON body of varied words, redaction included), so the trigram indexes do real work. What limits the write rate,
and what was tried: [benchmarks-store-writes.md](benchmarks-store-writes.md).

**Read the absolute figures with care:** this machine has 2 cores and was shared with other jobs while it ran (load
average about 20); ratios within one run hold better than the absolute numbers.

## Writes through the whole pipeline

${fmt(RECORDS)} records built by the core and pushed through the sink's queue until \`close()\` had every one confirmed
(committed); ${RUNS} runs per sink, interleaved, median shown. Goal: ≥ 30,000/s SQLite, ≥ 20,000/s PostgreSQL.

| sink | records/s | vs file sink |
|---|---:|---:|
${SINKS.map((s) => `| ${s.name} | ${fmt(median(writeResults.get(s.name)!))} | ${(median(writeResults.get(s.name)!) / baseline).toFixed(2)} |`).join('\n')}

## Event-loop delay while writing

${fmt(RATE)} records/s for ${PACED_S} s in 10 ms ticks (as requests would arrive), \`monitorEventLoopDelay\` meanwhile;
median of ${RUNS} runs. This is why the SQLite store writes from a worker thread by default.

| sink | p50 ms | p99 ms | max ms |
|---|---:|---:|---:|
${SINKS.map((s) => {
  const d = delayResults.get(s.name)!;
  return `| ${s.name} | ${ms(median(d.map((x) => x.p50)))} | ${ms(median(d.map((x) => x.p99)))} | ${ms(median(d.map((x) => x.max)))} |`;
}).join('\n')}
${
  queryTables.length === 0
    ? ''
    : `
## Queries on ${fmt(STORED)} stored records

Each query ${QUERY_REPS} times after a warm-up, one at a time, from the application's process (the SQLite store's worker
thread answers; PostgreSQL through \`pg\`). Goal: a filtered first page p95 ≤ 20 ms, free text ≤ 200 ms.

${queryTables.join('\n')}

## Export

\`store.scan()\` over every stored record, 1,000 a page by keyset (what \`/records/export\` streams from): records/s and the
process's peak memory meanwhile.

| backend | records | records/s | peak RSS MB | peak heap MB |
|---|---:|---:|---:|---:|
${exportRows.join('\n')}
`
}`;
writeFileSync(new URL('../docs/benchmarks-store.md', import.meta.url), out);
console.log(out);

const admin = new pg.Client({ connectionString: PG_URL });
await admin.connect();
for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
await admin.end();
for (const d of dirs) rmSync(d, { recursive: true, force: true });
