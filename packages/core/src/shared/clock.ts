import { performance } from 'node:perf_hooks';

/**
 * Wall-clock time in microseconds, and its RFC 3339 rendering.
 *
 * `Date.now()` has millisecond resolution and `performance.now()` drifts away from the wall clock
 * over a long uptime (it ignores NTP steps), so the clock is re-anchored to `Date.now()` every
 * second and the sub-millisecond part comes from the monotonic clock in between.
 */

let anchorWallUs = Date.now() * 1000;
let anchorMono = performance.now();

export function nowMicros(): number {
  const mono = performance.now();
  if (mono - anchorMono > 1000) {
    anchorWallUs = Date.now() * 1000;
    anchorMono = mono;
    return anchorWallUs;
  }
  return anchorWallUs + Math.floor((mono - anchorMono) * 1000);
}

let digitsSecond = Number.NaN;
let digitsPrefix = '';

/**
 * A microsecond timestamp as JSON writes it (`String(micros)`), with the seconds' digits made once per
 * second: a number of 16 digits is past the small integers, and V8 turns it into text digit by digit
 * through floating-point remainders (about 2,000 instructions a record).
 */
export function microsText(micros: number): string {
  if (!Number.isSafeInteger(micros) || micros < 1_000_000) return String(micros);
  const second = Math.floor(micros / 1_000_000);
  if (second !== digitsSecond) {
    digitsSecond = second;
    digitsPrefix = String(second);
  }
  const fraction = micros - second * 1_000_000;
  return digitsPrefix + (fraction >= 100_000 ? String(fraction) : String(fraction).padStart(6, '0'));
}

/** `system` follows the machine's time zone (DST included); otherwise a fixed offset. */
export type TimeOffset = 'system' | 'utc' | 'Z' | `+${string}` | `-${string}`;

const OFFSET = /^([+-])(\d{2}):(\d{2})$/;

/** Parses a fixed offset into minutes east of UTC; `undefined` means `system`. Throws on a bad value. */
export function parseTimeOffset(value: string): number | undefined {
  if (value === 'system') return undefined;
  if (value === 'utc' || value === 'Z' || value === 'UTC') return 0;
  const m = OFFSET.exec(value);
  if (!m) throw new Error('not an offset');
  const hours = Number(m[2]);
  const minutes = Number(m[3]);
  if (hours > 23 || minutes > 59) throw new Error('offset out of range');
  return (m[1] === '-' ? -1 : 1) * (hours * 60 + minutes);
}

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

function formatOffset(minutesEast: number): string {
  if (minutesEast === 0) return 'Z';
  const sign = minutesEast < 0 ? '-' : '+';
  const abs = Math.abs(minutesEast);
  return sign + pad2(Math.floor(abs / 60)) + ':' + pad2(abs % 60);
}

/**
 * Formats microsecond timestamps as RFC 3339 with six fractional digits. The date-and-seconds part is
 * cached per second, so most calls only append the fraction.
 */
export class Rfc3339Formatter {
  readonly #fixedOffset: number | undefined;
  #cachedSecond = Number.NaN;
  #cachedPrefix = '';
  #cachedSuffix = '';

  constructor(offset: TimeOffset) {
    this.#fixedOffset = parseTimeOffset(offset);
  }

  format(micros: number): string {
    const second = Math.floor(micros / 1_000_000);
    if (second !== this.#cachedSecond) this.#prime(second);
    const fraction = micros - second * 1_000_000;
    return this.#cachedPrefix + '.' + String(fraction).padStart(6, '0') + this.#cachedSuffix;
  }

  #prime(second: number): void {
    const ms = second * 1000;
    const offset = this.#fixedOffset ?? -new Date(ms).getTimezoneOffset();
    const d = new Date(ms + offset * 60_000);
    this.#cachedPrefix =
      String(d.getUTCFullYear()).padStart(4, '0') +
      '-' +
      pad2(d.getUTCMonth() + 1) +
      '-' +
      pad2(d.getUTCDate()) +
      'T' +
      pad2(d.getUTCHours()) +
      ':' +
      pad2(d.getUTCMinutes()) +
      ':' +
      pad2(d.getUTCSeconds());
    this.#cachedSuffix = formatOffset(offset);
    this.#cachedSecond = second;
  }
}
