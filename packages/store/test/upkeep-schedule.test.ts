import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UpkeepSchedule } from '@auditkit/store';

/**
 * `store.upkeep()` after writing must apply retention to what was written. The upkeep a store starts
 * when it opens can still be running then (a slow partition check on a loaded PostgreSQL); joining
 * that run left the new records untrimmed (seen in the EMQX trimming case on a loaded machine).
 */
describe('upkeep schedule', () => {
  it('asked while a run is under way, it runs once more after it, never two at once', async () => {
    let written = 0;
    const seen: number[] = [];
    let active = 0;
    let overlapped = false;
    let release: () => void = () => undefined;
    const schedule = new UpkeepSchedule(
      60_000,
      async () => {
        active++;
        overlapped ||= active > 1;
        const saw = written;
        await new Promise<void>((resolve) => (release = resolve));
        seen.push(saw);
        active--;
      },
      () => undefined,
    );
    const opening = schedule.now(); // the run a store starts on open, before anything is written
    written = 8;
    const first = schedule.now();
    const second = schedule.now(); // asked meanwhile: shares the run that follows
    assert.equal(first, second);
    release();
    await opening;
    await new Promise((r) => setImmediate(r));
    release();
    await first;
    assert.deepEqual(seen, [0, 8], 'the second run read what was written before it was asked for');
    assert.equal(overlapped, false);
    await schedule.stop();
  });

  it('a failed run is reported, and the run asked for meanwhile still happens', async () => {
    const errors: unknown[] = [];
    let runs = 0;
    const schedule = new UpkeepSchedule(
      60_000,
      async () => {
        runs++;
        await new Promise((r) => setImmediate(r));
        if (runs === 1) throw new Error('disk full');
      },
      (err) => errors.push(err),
    );
    const failing = schedule.now();
    const next = schedule.now();
    await assert.rejects(failing, /disk full/);
    await next;
    assert.deepEqual([runs, errors.length], [2, 1]);
    await schedule.stop();
  });

  it('after stop(), asking runs nothing', async () => {
    let runs = 0;
    const schedule = new UpkeepSchedule(60_000, async () => void runs++, () => undefined);
    await schedule.stop();
    await schedule.now();
    assert.equal(runs, 0);
  });
});
