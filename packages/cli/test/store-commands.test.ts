import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { AuditEntry, AuditFileTransport, canonicalJson } from '@auditkit/core';
import { openSqliteStore } from '@auditkit/store';
import { openPostgresStore } from '@auditkit/store-postgres';
import pg from 'pg';

/** auditkit import and reconcile as an operator runs them: a real process, its output and exit code. */

const bin = fileURLToPath(new URL('../bin/auditkit.mjs', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
const PG_URL = process.env.AUDITKIT_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const dir = (): string => mkdtempSync(join(tmpdir(), 'auditkit-cli-store-'));
const DAY = 86_400_000_000;
const NOW = Date.now() * 1000;

const schemas: string[] = [];
after(async () => {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await c.end();
});

/** Record k of a node: its canonical line. */
function line(node: string, k: number, time = NOW - 3_600_000_000 + k * 1000): string {
  return canonicalJson({ event: 'request', id: `019c0000-0000-7000-8000-${node}${String(k).padStart(6, '0')}`, level: 'info', node, operation_id: '/items/:n', source: 'alice', time, ts: new Date(time / 1000).toISOString() });
}

async function writeFile(path: string, lines: string[], chainKey?: string): Promise<void> {
  const t = new AuditFileTransport(chainKey ? { path, chain: { key: { file: chainKey }, checkpointEvery: 4 } } : { path });
  await t.writeEntries(lines.map((l) => new AuditEntry(l)));
  await new Promise<void>((resolve) => {
    t.once('finish', () => resolve());
    t.end();
  });
}

/** Three trails of node 000a: plain, gzipped, chained (with chain start and checkpoints). */
async function trails(): Promise<{ root: string; files: { plain: string; gz: string; chained: string }; lines: string[] }> {
  const root = dir();
  const keys = dir();
  assert.equal(run('keygen', '--out', keys).status, 0);
  const lines = Array.from({ length: 30 }, (_, k) => line('000a', k + 1));
  const files = { plain: join(root, 'a.log'), gz: join(root, 'b.log.gz'), chained: join(root, 'c.log') };
  await writeFile(files.plain, lines.slice(0, 10));
  const tmp = join(dir(), 'b.log');
  await writeFile(tmp, lines.slice(10, 20));
  writeFileSync(files.gz, gzipSync(readFileSync(tmp)));
  await writeFile(files.chained, lines.slice(20), join(keys, 'audit-signing.key'));
  assert.match(readFileSync(files.chained, 'utf8'), /"chain":"[0-9a-f]+","seq":1,/, 'the third file is chained');
  return { root, files, lines };
}

describe('auditkit import', () => {
  it('loads plain, gzipped and chained files into SQLite, each record as its canonical line; a second run changes nothing', async () => {
    const { root, lines } = await trails();
    const db = join(dir(), 'audit.db');
    const first = run('import', root, '--store', `sqlite:${db}`);
    assert.equal(first.status, 0, first.stderr + first.stdout);
    assert.match(first.stdout, /read 30 records: 30 imported, 0 already in the store/);
    const second = run('import', root, '--store', `sqlite:${db}`);
    assert.equal(second.status, 0);
    assert.match(second.stdout, /read 30 records: 0 imported, 30 already in the store/);
    const store = await openSqliteStore({ path: db, maxAgeDays: null, maxRecords: null, thread: 'main' });
    const page = await store.query([], { limit: 100, direction: 'older' });
    await store.close();
    assert.deepEqual(page.lines, [...lines].reverse(), 'chain headers and checkpoints are not stored; lines are byte for byte');
  });

  it('takes an API export (NDJSON with its export_end trailer) and reports one that did not finish', async () => {
    const root = dir();
    const lines = Array.from({ length: 5 }, (_, k) => line('000e', k + 1));
    writeFileSync(join(root, 'complete.ndjson'), [...lines, '{"export_end":{"complete":true,"count":5}}', ''].join('\n'));
    const db = join(dir(), 'audit.db');
    const whole = run('import', join(root, 'complete.ndjson'), '--store', `sqlite:${db}`);
    assert.equal(whole.status, 0, whole.stderr + whole.stdout);
    assert.match(whole.stdout, /read 5 records: 5 imported/);
    assert.equal(whole.stderr, '');

    writeFileSync(join(root, 'cut.ndjson'), [...lines.slice(0, 2), '{"export_end":{"complete":false,"count":2,"error":"the store stopped answering; this export is incomplete"}}', ''].join('\n'));
    writeFileSync(join(root, 'short.ndjson'), [...lines.slice(0, 3), '{"export_end":{"complete":true,"count":4}}', ''].join('\n'));
    const cut = run('import', join(root, 'cut.ndjson'), join(root, 'short.ndjson'), '--store', `sqlite:${db}`);
    assert.equal(cut.status, 1);
    assert.match(cut.stderr, /cut\.ndjson:3: the export is incomplete: the store stopped answering/);
    assert.match(cut.stderr, /short\.ndjson:4: the export says it holds 4 records, the file has 3/);
  });

  it('into PostgreSQL (schema from the URL), idempotent', async () => {
    const { root } = await trails();
    const schema = `akt_cli_${process.pid}`;
    schemas.push(schema);
    const url = `${PG_URL}?schema=${schema}`;
    assert.match(run('import', root, '--store', url).stdout, /30 imported/);
    assert.match(run('import', root, '--store', url).stdout, /0 imported, 30 already/);
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    const { rows } = await c.query(`SELECT count(*)::int AS n FROM "${schema}".records`);
    await c.end();
    assert.equal(rows[0].n, 30);
  });

  it('skips records older than --max-age-days and names lines that are not records (exit 1)', async () => {
    const root = dir();
    const old = line('000b', 1, NOW - 100 * DAY);
    writeFileSync(join(root, 'x.log'), `${old}\n${line('000b', 2)}\nthis is not json\n{"id":"no-time"}\n`);
    const r = run('import', root, '--store', `sqlite:${join(dir(), 'a.db')}`);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /read 2 records: 1 imported, 0 already in the store, 1 older than 92 days/);
    assert.match(r.stderr, /x\.log:3: not JSON/);
    assert.match(r.stderr, /x\.log:4: not an audit record/);
    const all = run('import', root, '--store', `sqlite:${join(dir(), 'b.db')}`, '--max-age-days', 'none');
    assert.match(all.stdout, /2 imported/);
  });

  it('usage errors exit 2 and say what to give', () => {
    assert.equal(run('import', '/tmp').status, 2);
    assert.match(run('import', '/tmp').stderr, /--store is required/);
    const bad = run('import', '/tmp', '--store', 'mysql://root:hunter2@db/x');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--store must be sqlite:<file> or postgres:/);
    assert.ok(!bad.stderr.includes('hunter2'), 'a password in a bad URL is not echoed');
  });
});

describe('auditkit reconcile', () => {
  it('agrees (exit 0), then reports ids missing on either side (exit 1)', async () => {
    const { root, files } = await trails();
    const db = join(dir(), 'audit.db');
    assert.equal(run('import', files.plain, files.chained, '--store', `sqlite:${db}`).status, 0);

    const partial = run('reconcile', files.plain, files.chained, '--store', `sqlite:${db}`);
    assert.equal(partial.status, 0, partial.stdout);
    assert.match(partial.stdout, /20 records in the files, 20 in the store/);
    assert.match(partial.stdout, /OK: the files and the store agree/);

    const missing = run('reconcile', root, '--store', `sqlite:${db}`, '--json');
    assert.equal(missing.status, 1);
    const report = JSON.parse(missing.stdout);
    assert.deepEqual(report.missingFromStore, Array.from({ length: 10 }, (_, k) => `019c0000-0000-7000-8000-000a${String(k + 11).padStart(6, '0')}`));
    assert.deepEqual(report.missingFromFiles, []);

    // A record in the store the files never had (same node, inside their span), and another node's record (not compared).
    const store = await openSqliteStore({ path: db, maxAgeDays: null, maxRecords: null, thread: 'main' });
    await store.write([line('000a', 500, NOW - 3_600_000_000 + 5500), line('000z', 1)]);
    await store.close();
    assert.equal(run('import', files.gz, '--store', `sqlite:${db}`).status, 0);
    const extra = run('reconcile', root, '--store', `sqlite:${db}`);
    assert.equal(extra.status, 1);
    assert.match(extra.stdout, /in the store, missing from the files \(1\):\n {2}019c0000-0000-7000-8000-000a000500\n/);
    assert.ok(!extra.stdout.includes('missing from the store'));
    const allNodes = JSON.parse(run('reconcile', root, '--store', `sqlite:${db}`, '--all-nodes', '--json').stdout);
    assert.equal(allNodes.missingFromFiles.length, 2, 'with --all-nodes the other node’s record counts too');
  });

  it('records past the retention window are not reported missing', async () => {
    const root = dir();
    writeFileSync(join(root, 'x.log'), `${line('000c', 1, NOW - 100 * DAY)}\n${line('000c', 2)}\n`);
    const db = join(dir(), 'a.db');
    assert.equal(run('import', root, '--store', `sqlite:${db}`).status, 0);
    const r = run('reconcile', root, '--store', `sqlite:${db}`);
    assert.equal(r.status, 0, r.stdout);
    assert.equal(run('reconcile', root, '--store', `sqlite:${db}`, '--max-age-days', 'none').status, 1, 'without an age limit the old record is missing');
    const capped = run('reconcile', root, '--store', `sqlite:${db}`, '--max-age-days', 'none', '--max-records', '1');
    assert.equal(capped.status, 0, 'a store at its record cap has trimmed what is older than its oldest record');
  });

  it('against PostgreSQL: a record removed from the store is reported', async () => {
    const root = dir();
    const lines = Array.from({ length: 5 }, (_, k) => line('000d', k + 1));
    writeFileSync(join(root, 'x.log'), lines.join('\n') + '\n');
    const schema = `akt_cli_r_${process.pid}`;
    schemas.push(schema);
    const store = await openPostgresStore({ connectionString: PG_URL, schema });
    await store.write(lines.slice(0, 4));
    await store.close();
    const r = run('reconcile', root, '--store', `${PG_URL}?schema=${schema}`, '--json');
    assert.equal(r.status, 1);
    assert.deepEqual(JSON.parse(r.stdout).missingFromStore, ['019c0000-0000-7000-8000-000d000005']);
  });
});
