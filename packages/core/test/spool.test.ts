import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Spool } from '../src/delivery/spool.js';

/**
 * The spool on its own, on a real small tmpfs (root only, as CI runs): what `entries` counts is on
 * disk, a failed append leaves nothing behind, and delivered records do not stay on disk.
 */

function tmpfs(sizeKb: number): { dir: string; fill(): void; free(): void; unmount(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'auditkit-spool-tmpfs-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k,mode=0755`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mount failed (this test needs root to mount a tmpfs): ${r.stderr}`);
  return {
    dir,
    fill() {
      const fd = openSync(join(dir, 'filler'), 'w');
      try {
        for (;;) writeSync(fd, Buffer.alloc(64 * 1024));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      } finally {
        closeSync(fd);
      }
    },
    free: () => rmSync(join(dir, 'filler'), { force: true }),
    unmount: () => void spawnSync('umount', ['-l', dir]),
  };
}

const line = (n: number): string => JSON.stringify({ id: `r${n}`, pad: 'x'.repeat(900) });
const segmentBytes = (dir: string): number => readdirSync(dir).filter((f) => f.startsWith('seg-')).reduce((n, f) => n + statSync(join(dir, f)).size, 0);

describe('spool', () => {
  it('a failed append (ENOSPC) counts nothing and leaves the file as it was; the same lines succeed once space returns', async () => {
    const fs = tmpfs(256);
    try {
      const dir = join(fs.dir, 'spool');
      const spool = new Spool({ dir, maxBytes: 10 * 1024 * 1024 });
      await spool.append([line(1), line(2)]);
      assert.equal(spool.entries, 2);
      const before = segmentBytes(dir);
      fs.fill();
      const batch = Array.from({ length: 40 }, (_, i) => line(i + 3));
      await assert.rejects(spool.append(batch), (err: NodeJS.ErrnoException) => err.code === 'ENOSPC');
      assert.equal(spool.entries, 2, 'nothing of the failed append is counted');
      assert.equal(segmentBytes(dir), before, 'nothing of it is left in the file: no torn line');
      assert.equal(spool.hasUnread, true);
      fs.free();
      await spool.append(batch);
      assert.equal(spool.entries, 42);
      const taken = await spool.take(100);
      assert.deepEqual(
        taken.map((e) => JSON.parse(e.line).id),
        Array.from({ length: 42 }, (_, i) => `r${i + 1}`),
      );
      await spool.close();
    } finally {
      fs.unmount();
    }
  });

  it('a new spool on the same directory finds exactly what was not committed; once all is committed, no file holds a record', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'auditkit-spool-'));
    const first = new Spool({ dir, maxBytes: 10 * 1024 * 1024, segmentBytes: 8 * 1024 });
    for (let n = 1; n <= 30; n += 10) await first.append(Array.from({ length: 10 }, (_, i) => line(n + i)));
    const taken = await first.take(12);
    await first.commit(taken.at(-1)!, 12, taken.reduce((b, e) => b + e.bytes, 0));
    await first.close();

    const second = new Spool({ dir, maxBytes: 10 * 1024 * 1024, segmentBytes: 8 * 1024 });
    assert.equal(second.entries, 18);
    const rest = await second.take(100);
    assert.deepEqual(
      rest.map((e) => JSON.parse(e.line).id),
      Array.from({ length: 18 }, (_, i) => `r${i + 13}`),
    );
    await second.commit(rest.at(-1)!, 18, rest.reduce((b, e) => b + e.bytes, 0));
    await second.idle();
    assert.equal(second.entries, 0);
    for (const f of readdirSync(dir)) {
      assert.ok(!readFileSync(join(dir, f), 'utf8').includes('"id":"r'), `${f} still holds a delivered record`);
    }
    await second.append([line(99)]);
    await second.close();
    const third = new Spool({ dir, maxBytes: 10 * 1024 * 1024 });
    assert.deepEqual(
      (await third.take(10)).map((e) => JSON.parse(e.line).id),
      ['r99'],
      'and it goes on from there',
    );
    await third.close();
  });
});
