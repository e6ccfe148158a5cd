import { badParameter } from '../http/errors.js';

/**
 * `gte_created_at` / `lte_created_at`, as EMQX takes them: RFC 3339, epoch milliseconds or epoch
 * microseconds, all read as microseconds (records' `time` unit). A plain number below 1e14 is
 * milliseconds (1e14 ms is the year 5138; 1e14 µs is 1973), otherwise microseconds. Milliseconds and
 * fractions are converted exactly (× 1000, digits beyond the sixth dropped), as EMQX does.
 */

export const TIME_ACCEPTED = 'RFC 3339 (2024-05-01T12:00:00Z, 2024-05-01T14:00:00.5+02:00), epoch ms (1714564800000) or epoch µs (1714564800000000)';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:[Zz]|([+\- ])(\d{2}):(\d{2}))$/;
const INTEGER = /^\d{1,17}$/;

export function parseTime(parameter: string, text: string): number {
  if (INTEGER.test(text)) {
    const n = Number(text);
    const micros = n < 1e14 ? n * 1000 : n;
    if (!Number.isSafeInteger(micros)) throw badParameter(parameter, 'out of range', TIME_ACCEPTED);
    return micros;
  }
  const m = RFC3339.exec(text);
  if (m === null) {
    const hint = /^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/.test(text) ? 'a date and time without its offset (add Z for UTC, or ±hh:mm)' : 'not a time';
    throw badParameter(parameter, hint, TIME_ACCEPTED);
  }
  const [, y, mo, d, h, mi, s, fraction, sign, oh, om] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 60) {
    throw badParameter(parameter, 'no such date or time', TIME_ACCEPTED);
  }
  let offsetMinutes = 0;
  if (sign !== undefined) {
    const ohn = Number(oh);
    const omn = Number(om);
    if (ohn > 23 || omn > 59) throw badParameter(parameter, 'no such offset', TIME_ACCEPTED);
    // A `+` sent unencoded in a query string arrives as a space; it can only have meant `+`.
    offsetMinutes = (sign === '-' ? -1 : 1) * (ohn * 60 + omn);
  }
  // A leap second (:60) is read as the last microsecond of its minute, so ordering is kept.
  const leap = second === 60;
  const ms = Date.UTC(year, month - 1, day, hour, minute, leap ? 59 : second) - offsetMinutes * 60_000;
  const fractionMicros = leap ? 999_999 : Number((fraction ?? '').padEnd(6, '0').slice(0, 6));
  const micros = ms * 1000 + fractionMicros;
  if (!Number.isSafeInteger(micros)) throw badParameter(parameter, 'out of range', TIME_ACCEPTED);
  // Before 1970 no record exists: the bound is the epoch.
  return Math.max(0, micros);
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
