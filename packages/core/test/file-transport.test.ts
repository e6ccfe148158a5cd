import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { AuditFileTransport, type AuditFileOptions } from '../src/delivery/file-transport.js';
import { AuditEntry } from '../src/record/entry.js';

/** Real files in a temporary directory; what an operator would find with ls and cat. */

function dir(): string {
  return mkdtempSync(join(tmpdir(), 'auditkit-file-'));
}

let seq = 0;
function records(n: number, pad = 300): Array<{ id: string; entry: AuditEntry }> {
  return Array.from({ length: n }, () => {
    const id = `r${++seq}`;
    return { id, entry: new AuditEntry(JSON.stringify({ id, event: 'request', level: 'info', pad: 'x'.repeat(pad) })) };
  });
}

async function write(t: AuditFileTransport, batches: number, perBatch: number, pad?: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < batches; i++) {
    const batch = records(perBatch, pad);
    ids.push(...batch.map((r) => r.id));
    await t.writeEntries(batch.map((r) => r.entry));
  }
  return ids;
}

async function close(t: AuditFileTransport): Promise<void> {
  await new Promise<void>((resolve) => {
    t.once('finish', () => resolve());
    t.end();
  });
}

/** Every line of every file, rotated files (by name: time order) first, then the live one. */
function linesIn(d: string, base = 'audit'): { files: string[]; lines: string[] } {
  const files = readdirSync(d).filter((f) => f.startsWith(base)).sort((a, b) => (a === `${base}.log` ? 1 : b === `${base}.log` ? -1 : a < b ? -1 : 1));
  const lines: string[] = [];
  for (const f of files) {
    const raw = readFileSync(join(d, f));
    const text = f.endsWith('.gz') ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
    if (text.length === 0) continue;
    assert.ok(text.endsWith('\n'), `${f} ends with a whole line`);
    lines.push(...text.slice(0, -1).split('\n'));
  }
  return { files, lines };
}

function transport(d: string, options: AuditFileOptions = {}): AuditFileTransport {
  return new AuditFileTransport({ path: join(d, 'audit.log'), ...options });
}

describe('file sink', () => {
  it('rotates by size between batches: no file past the limit, no record split, nothing lost, order kept', async () => {
    const d = dir();
    const t = transport(d, { maxSize: 8 * 1024, maxFiles: 0 });
    const ids = await write(t, 40, 5);
    await close(t);
    const { files, lines } = linesIn(d);
    assert.ok(files.length >= 5, `${files.length} files`);
    for (const f of files) assert.ok(statSync(join(d, f)).size <= 8 * 1024, `${f} is within maxSize`);
    assert.deepEqual(lines.map((l) => JSON.parse(l).id), ids);
    for (const f of files) assert.match(f, /^audit(-\d{8}T\d{9}Z(-\d+)?)?\.log$/);
  });

  it('a file left ending in a cut line (a kill inside write) gets its line ended: the next record is a line of its own', async () => {
    const d = dir();
    const cut = '{"id":"before-crash","event":"request","pad":"xx';
    writeFileSync(join(d, 'audit.log'), '{"id":"whole"}\n' + cut, { mode: 0o600 });
    const t = transport(d);
    const ids = await write(t, 1, 2, 10);
    await close(t);
    const { lines } = linesIn(d);
    assert.deepEqual(lines.slice(0, 2), ['{"id":"whole"}', cut]);
    assert.deepEqual(lines.slice(2).map((l) => JSON.parse(l).id), ids);
  });

  it('keeps at most maxFiles rotated files, dropping the oldest', async () => {
    const d = dir();
    const t = transport(d, { maxSize: 4 * 1024, maxFiles: 3 });
    const ids = await write(t, 60, 4);
    await t.whenIdle();
    await close(t);
    const { files, lines } = linesIn(d);
    assert.equal(files.filter((f) => f !== 'audit.log').length, 3);
    // What is left is the newest records, still in order and whole.
    assert.deepEqual(lines.map((l) => JSON.parse(l).id), ids.slice(ids.length - lines.length));
  });

  it('deletes rotated files older than maxAgeDays and keeps the rest', async () => {
    const d = dir();
    const old = 'audit-20200101T000000000Z.log';
    const oldGz = 'audit-20200102T000000000Z.log.gz';
    const recent = `audit-${new Date(Date.now() - 3600_000).toISOString().replace(/[-:]/g, '').replace('.', '')}.log`;
    const unrelated = 'other-20200101T000000000Z.log';
    for (const f of [old, oldGz, recent, unrelated]) writeFileSync(join(d, f), '{}\n');
    const t = transport(d, { maxAgeDays: 1, maxFiles: 0 });
    await t.whenIdle();
    await close(t);
    assert.deepEqual(readdirSync(d).sort(), ['audit.log', recent, unrelated].sort());
  });

  it('gzips rotated files; their content is intact', async () => {
    const d = dir();
    const t = transport(d, { maxSize: 6 * 1024, compress: true, maxFiles: 0 });
    const ids = await write(t, 30, 4);
    await t.whenIdle();
    await close(t);
    const { files, lines } = linesIn(d);
    const rotated = files.filter((f) => f !== 'audit.log');
    assert.ok(rotated.length >= 3 && rotated.every((f) => f.endsWith('.log.gz')), rotated.join(' '));
    assert.deepEqual(lines.map((l) => JSON.parse(l).id), ids);
  });

  it('creates every file 0600 in a 0700 directory, rotated and compressed ones included', async () => {
    const parent = dir();
    const d = join(parent, 'audit');
    const t = new AuditFileTransport({ path: join(d, 'audit.log'), maxSize: 4 * 1024, compress: true });
    await write(t, 10, 4);
    await t.whenIdle();
    await close(t);
    assert.equal(statSync(d).mode & 0o777, 0o700);
    for (const f of readdirSync(d)) assert.equal(statSync(join(d, f)).mode & 0o777, 0o600, f);
  });

  it('reopens the path on SIGHUP after an external rotation', async () => {
    const d = dir();
    const t = transport(d, { reopenOnSighup: true });
    const before = await write(t, 1, 2);
    renameSync(join(d, 'audit.log'), join(d, 'audit.log.1'));
    const stillOld = await write(t, 1, 1);
    process.kill(process.pid, 'SIGHUP');
    await new Promise((r) => setTimeout(r, 50));
    const after = await write(t, 1, 2);
    await close(t);
    const ids = (f: string) => readFileSync(join(d, f), 'utf8').trim().split('\n').map((l) => JSON.parse(l).id);
    assert.deepEqual(ids('audit.log.1'), [...before, ...stillOld], 'until the signal, records follow the open file');
    assert.deepEqual(ids('audit.log'), after, 'after it, a fresh file at the path');
    assert.equal(process.listenerCount('SIGHUP'), 0, 'the listener goes with the transport');
  });

  it('durable: fdatasync once per batch before it counts as written, and never without it', () => {
    const script = fileURLToPath(new URL('./fixtures/durable-writer.ts', import.meta.url));
    const count = (durable: boolean): number => {
      const trace = join(dir(), 'trace');
      const r = spawnSync('strace', ['-f', '-qq', '-e', 'trace=fdatasync', '-o', trace, process.execPath, '--import', 'tsx', script, String(durable), dir()], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /wrote 25 batches/);
      return readFileSync(trace, 'utf8').split('\n').filter((l) => l.includes('fdatasync(')).length;
    };
    assert.equal(count(true), 25);
    assert.equal(count(false), 0);
  });
});
