import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * `ts` in the machine's own zone (timeOffset "system"), in a child process with TZ set: a zone with a
 * half-hour offset, and one with daylight saving time across both of its switches. Expected values are
 * written out from the zones' published rules (tzdata), not computed by the formatter.
 */

const script = fileURLToPath(new URL('./fixtures/tz-format.ts', import.meta.url));

function formatIn(tz: string, instants: number[]): string[] {
  const r = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), script, ...instants.map(String)], {
    env: { ...process.env, TZ: tz, NODE_NO_WARNINGS: '1' },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n');
}

const us = (iso: string, micros = 0): number => Date.parse(iso) * 1000 + micros;

describe('ts in the system zone', () => {
  it('Asia/Kolkata (+05:30, no DST): the half hour and the date change', () => {
    assert.deepEqual(formatIn('Asia/Kolkata', [us('2026-01-15T12:00:00Z', 123_456), us('2026-07-15T18:29:59Z', 999_999), us('2026-07-15T18:30:00Z')]), [
      '2026-01-15T17:30:00.123456+05:30',
      '2026-07-15T23:59:59.999999+05:30',
      '2026-07-16T00:00:00.000000+05:30',
    ]);
  });

  it('America/New_York: -05:00 in winter, -04:00 in summer, and both switches of 2026 to the second', () => {
    assert.deepEqual(
      formatIn('America/New_York', [
        us('2026-01-15T12:00:00Z'),
        us('2026-07-15T12:00:00Z'),
        // Spring forward, Sunday 8 March 2026: 01:59:59 EST is followed by 03:00:00 EDT.
        us('2026-03-08T06:59:59Z', 500_000),
        us('2026-03-08T07:00:00Z'),
        // Fall back, Sunday 1 November 2026: 01:59:59 EDT is followed by 01:00:00 EST.
        us('2026-11-01T05:59:59Z'),
        us('2026-11-01T06:00:00Z'),
      ]),
      [
        '2026-01-15T07:00:00.000000-05:00',
        '2026-07-15T08:00:00.000000-04:00',
        '2026-03-08T01:59:59.500000-05:00',
        '2026-03-08T03:00:00.000000-04:00',
        '2026-11-01T01:59:59.000000-04:00',
        '2026-11-01T01:00:00.000000-05:00',
      ],
    );
  });

  it('UTC: Z', () => {
    assert.deepEqual(formatIn('UTC', [us('2026-01-15T12:00:00Z', 1)]), ['2026-01-15T12:00:00.000001Z']);
  });
});
