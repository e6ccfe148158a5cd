/**
 * When a file rotated by time (`rotateEvery`) starts its next file: the first hour or day boundary
 * after a moment, on the machine's local clock or in UTC. Pure functions of the time and the process's
 * time zone (`TZ`), so they are tested with written-out boundaries, DST days included, rather than by
 * waiting for the clock.
 *
 * Local boundaries are where the wall clock shows a whole hour (or midnight). On a day the clocks go
 * back, an hour shows twice and each is its own file (25 files that day); on a day they go forward, an
 * hour never happens (23). A zone half an hour off UTC (India, +05:30) rotates at :30 UTC.
 */

export type RotationPeriod = 'hour' | 'day';
export type RotationZone = 'local' | 'utc';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Local time minus UTC, in ms, at `t`. */
function offsetAt(t: number): number {
  return -new Date(t).getTimezoneOffset() * 60_000;
}

/** The first local whole hour after `t` (strictly), given the offset in force at `t`. */
function nextWholeHour(t: number, offset: number): number {
  return (Math.floor((t + offset) / HOUR) + 1) * HOUR - offset;
}

/** The first moment after `from` at which the offset differs from `offset`; `to` is known to differ. */
function transitionBetween(from: number, to: number, offset: number): number {
  // Offsets change on a whole minute, and `to` is one: a search over whole minutes finds the instant.
  let lo = Math.floor(from / 60_000);
  let hi = Math.ceil(to / 60_000);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetAt(mid * 60_000) === offset) lo = mid;
    else hi = mid;
  }
  return hi * 60_000;
}

/** The first boundary strictly after `now` (ms since the epoch). */
export function nextRotation(now: number, every: RotationPeriod, zone: RotationZone): number {
  if (zone === 'utc') {
    const unit = every === 'hour' ? HOUR : DAY;
    return (Math.floor(now / unit) + 1) * unit;
  }
  if (every === 'day') {
    const d = new Date(now);
    // The Date constructor resolves local midnight through any DST change (and a midnight a change skips to the next valid time).
    return new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime();
  }
  const offset = offsetAt(now);
  const candidate = nextWholeHour(now, offset);
  const after = offsetAt(candidate);
  if (after === offset) return candidate;
  // The offset changes before the candidate: from then on the wall clock runs on the new offset.
  const change = transitionBetween(now, candidate, offset);
  const changed = offsetAt(change);
  return (change + changed) % HOUR === 0 ? change : nextWholeHour(change, changed);
}
