import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { AuditFileTransport, type AuditFileOptions } from '../src/delivery/file-transport.js';
import { AuditConfigError } from '../src/shared/errors.js';
import { AuditEntry } from '../src/record/entry.js';

/** rotateEvery on real files: the boundary arithmetic is in rotation-time.test.ts, this is what the file does with it. */

const EVERY_SECOND = (now: number): number => Math.floor(now / 1000) * 1000 + 1000;
const SEAM = Symbol.for('auditkit.internal.rotationBoundary');

const tmp = (): string => mkdtempSync(join(tmpdir(), 'auditkit-time-rotation-'));
const line = (id: string): AuditEntry => new AuditEntry(JSON.stringify({ event: 'request', id, level: 'info' }));
const rotatedIn = (dir: string): string[] => readdirSync(dir).filter((n) => /^audit-\d{8}T\d{9}Z\.log(\.gz)?$/.test(n)).sort();
const idsIn = (file: string): string[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { id: string }).id);

async function close(t: AuditFileTransport): Promise<void> {
  await new Promise<void>((resolve) => {
    t.once('finish', () => resolve());
    t.end();
  });
}

async function nextSecond(): Promise<void> {
  await sleep(1000 - (Date.now() % 1000) + 60);
}

describe('rotateEvery', () => {
  it('names a bad option and its fix', () => {
    const path = join(tmp(), 'audit.log');
    const rejects = (options: Record<string, unknown>, option: string, fix: RegExp): void =>
      assert.throws(
        () => new AuditFileTransport({ path, ...options } as AuditFileOptions, 'file'),
        (err: unknown) => err instanceof AuditConfigError && err.option === option && fix.test(err.message),
      );
    rejects({ rotateEvery: 'daily' }, 'file.rotateEvery', /must be "hour" or "day", got "daily". Fix: use "hour" or "day"/);
    rejects({ rotateEvery: 'day', rotateTimeZone: 'Europe/Paris' }, 'file.rotateTimeZone', /must be "local" or "utc"/);
    rejects({ rotateTimeZone: 'utc' }, 'file.rotateTimeZone', /has no effect without rotateEvery/);
  });

  it('a file left by an earlier process in an earlier period is rotated before the first new record', async () => {
    const dir = tmp();
    const path = join(dir, 'audit.log');
    writeFileSync(path, JSON.stringify({ event: 'request', id: 'yesterday', level: 'info' }) + '\n', { mode: 0o600 });
    const yesterday = (Date.now() - 86_400_000) / 1000;
    utimesSync(path, yesterday, yesterday);
    const t = new AuditFileTransport({ path, rotateEvery: 'day', rotateTimeZone: 'utc' });
    await t.writeEntries([line('today')]);
    await close(t);
    const rotated = rotatedIn(dir);
    assert.equal(rotated.length, 1);
    assert.deepEqual(idsIn(join(dir, rotated[0]!)), ['yesterday']);
    assert.deepEqual(idsIn(path), ['today']);
  });

  it('a file written in the current period is continued, and size rotation still applies beside time', async () => {
    const dir = tmp();
    const path = join(dir, 'audit.log');
    writeFileSync(path, JSON.stringify({ event: 'request', id: 'earlier', level: 'info' }) + '\n', { mode: 0o600 });
    const t = new AuditFileTransport({ path, rotateEvery: 'day', maxSize: 200 });
    await t.writeEntries([line('a')]);
    assert.deepEqual(rotatedIn(dir), []);
    await t.writeEntries([line('b'), line('c'), line('d'), line('e')]);
    await close(t);
    assert.equal(rotatedIn(dir).length, 1, 'the size limit rotated it');
  });

  it('rotates at each boundary, by the next batch or by its timer, and keeps maxFiles', async () => {
    const dir = tmp();
    const path = join(dir, 'audit.log');
    const t = new AuditFileTransport({ path, rotateEvery: 'hour', maxFiles: 2, [SEAM]: EVERY_SECOND } as AuditFileOptions);
    await nextSecond();
    await t.writeEntries([line('s1-a')]);
    await t.writeEntries([line('s1-b')]);
    await nextSecond();
    await t.writeEntries([line('s2-a')]);
    assert.equal(rotatedIn(dir).length, 1, 'the first batch after the boundary started a new file');
    await nextSecond();
    await sleep(200);
    assert.equal(rotatedIn(dir).length, 2, 'the timer rotated the file at the boundary');
    await nextSecond();
    await sleep(200);
    assert.equal(rotatedIn(dir).length, 2, 'nothing to rotate: no empty file is made');
    await t.writeEntries([line('s4-a')]);
    await nextSecond();
    await t.writeEntries([line('s5-a')]);
    await close(t);
    await t.whenIdle();
    const rotated = rotatedIn(dir);
    assert.equal(rotated.length, 2, 'maxFiles keeps the newest two');
    assert.deepEqual(idsIn(join(dir, rotated[0]!)), ['s2-a']);
    assert.deepEqual(idsIn(join(dir, rotated[1]!)), ['s4-a']);
    assert.deepEqual(idsIn(path), ['s5-a']);
  });
});
