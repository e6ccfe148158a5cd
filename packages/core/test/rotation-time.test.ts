import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

/**
 * Time-based rotation boundaries, written out: the pure function behind `rotateEvery`, run in a child
 * process under a fixed TZ so the machine's zone plays no part.
 */

const SCRIPT = fileURLToPath(new URL('./fixtures/rotation-boundaries.ts', import.meta.url));

function boundaries(tz: string, every: string, zone: string, moments: string[]): Record<string, string> {
  const r = spawnSync(process.execPath, ['--import', 'tsx', SCRIPT, every, zone, ...moments], { env: { ...process.env, TZ: tz }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, string>;
}

describe('rotation boundaries', () => {
  it('UTC hours and days, whatever the local zone', () => {
    assert.deepEqual(boundaries('America/New_York', 'hour', 'utc', ['2026-03-08T06:30:00.000Z', '2026-12-31T23:59:59.999Z', '2026-07-01T10:00:00.000Z']), {
      '2026-03-08T06:30:00.000Z': '2026-03-08T07:00:00.000Z',
      '2026-12-31T23:59:59.999Z': '2027-01-01T00:00:00.000Z',
      // A moment on a boundary belongs to the period it starts: the next boundary is an hour on.
      '2026-07-01T10:00:00.000Z': '2026-07-01T11:00:00.000Z',
    });
    assert.deepEqual(boundaries('Asia/Kolkata', 'day', 'utc', ['2026-02-28T23:00:00.000Z']), { '2026-02-28T23:00:00.000Z': '2026-03-01T00:00:00.000Z' });
  });

  it('local days in New York, across both DST changes', () => {
    assert.deepEqual(
      boundaries('America/New_York', 'day', 'local', ['2026-03-07T12:00:00.000Z', '2026-03-08T04:59:59.999Z', '2026-03-08T05:00:00.000Z', '2026-11-01T03:59:00.000Z', '2026-11-01T04:00:00.000Z']),
      {
        // Midnight EST is 05:00Z; the day the clocks go forward is 23 hours long, to midnight EDT at 04:00Z.
        '2026-03-07T12:00:00.000Z': '2026-03-08T05:00:00.000Z',
        '2026-03-08T04:59:59.999Z': '2026-03-08T05:00:00.000Z',
        '2026-03-08T05:00:00.000Z': '2026-03-09T04:00:00.000Z',
        // The day the clocks go back is 25 hours: midnight EDT (04:00Z) to midnight EST (05:00Z next day).
        '2026-11-01T03:59:00.000Z': '2026-11-01T04:00:00.000Z',
        '2026-11-01T04:00:00.000Z': '2026-11-02T05:00:00.000Z',
      },
    );
  });

  it('local hours in New York: the skipped hour never starts a file, the repeated one starts two', () => {
    // 2026-03-08: 01:59:59 EST is followed by 03:00:00 EDT (07:00Z).
    assert.deepEqual(boundaries('America/New_York', 'hour', 'local', ['2026-03-08T06:00:00.000Z', '2026-03-08T06:30:15.123Z', '2026-03-08T07:00:00.000Z']), {
      '2026-03-08T06:00:00.000Z': '2026-03-08T07:00:00.000Z',
      '2026-03-08T06:30:15.123Z': '2026-03-08T07:00:00.000Z',
      '2026-03-08T07:00:00.000Z': '2026-03-08T08:00:00.000Z',
    });
    // 2026-11-01: 01:00 EDT (05:00Z), then 01:00 EST (06:00Z), then 02:00 EST (07:00Z).
    assert.deepEqual(boundaries('America/New_York', 'hour', 'local', ['2026-11-01T05:30:00.000Z', '2026-11-01T06:00:00.000Z', '2026-11-01T06:59:59.999Z']), {
      '2026-11-01T05:30:00.000Z': '2026-11-01T06:00:00.000Z',
      '2026-11-01T06:00:00.000Z': '2026-11-01T07:00:00.000Z',
      '2026-11-01T06:59:59.999Z': '2026-11-01T07:00:00.000Z',
    });
  });

  it('local hours half an hour off UTC (India, +05:30)', () => {
    assert.deepEqual(boundaries('Asia/Kolkata', 'hour', 'local', ['2026-06-01T10:15:00.000Z', '2026-06-01T10:30:00.000Z']), {
      '2026-06-01T10:15:00.000Z': '2026-06-01T10:30:00.000Z',
      '2026-06-01T10:30:00.000Z': '2026-06-01T11:30:00.000Z',
    });
    assert.deepEqual(boundaries('Asia/Kolkata', 'day', 'local', ['2026-06-01T10:15:00.000Z']), { '2026-06-01T10:15:00.000Z': '2026-06-01T18:30:00.000Z' });
  });
});
