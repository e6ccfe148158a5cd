/**
 * Times in the viewer's zone or in UTC, always with the offset beside them: an incident timeline
 * read across zones is only safe when every time says which zone it is in.
 */

export type Zone = 'local' | 'utc';

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** `+01:00`, `-05:30`, `+00:00` for UTC. */
export function offsetOf(zone: Zone, atMs: number): string {
  if (zone === 'utc') return '+00:00';
  const minutes = -new Date(atMs).getTimezoneOffset();
  const sign = minutes < 0 ? '-' : '+';
  const a = Math.abs(minutes);
  return `${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}

export function zoneLabel(zone: Zone, atMs: number): string {
  return zone === 'utc' ? 'UTC' : `UTC${offsetOf(zone, atMs)}`;
}

function parts(ms: number, zone: Zone): [number, number, number, number, number, number] {
  const d = new Date(ms);
  return zone === 'utc'
    ? [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()]
    : [d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds()];
}

/** `2024-05-01 14:00:00.123` from epoch µs. */
export function formatTime(us: number, zone: Zone): string {
  const ms = Math.floor(us / 1000);
  const [y, mo, d, h, mi, s] = parts(ms, zone);
  return `${y}-${pad(mo)}-${pad(d)} ${pad(h)}:${pad(mi)}:${pad(s)}.${pad(ms % 1000, 3)}`;
}

/** RFC 3339 with microseconds and the zone's offset. */
export function formatFull(us: number, zone: Zone): string {
  const ms = Math.floor(us / 1000);
  const [y, mo, d, h, mi, s] = parts(ms, zone);
  const off = offsetOf(zone, ms);
  return `${y}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(s)}.${pad(us % 1_000_000, 6)}${zone === 'utc' ? 'Z' : off}`;
}

/** The value of an `<input type="datetime-local">` for epoch ms, in the zone. */
export function toLocalInput(ms: number, zone: Zone): string {
  const [y, mo, d, h, mi, s] = parts(ms, zone);
  return `${y}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(s)}`;
}

/** Epoch ms of a `datetime-local` value read in the zone; undefined when empty or malformed. */
export function fromLocalInput(value: string, zone: Zone): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(value);
  if (m === null) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => Number(x ?? 0)) as [number, number, number, number, number, number];
  return zone === 'utc' ? Date.UTC(y, mo - 1, d, h, mi, s) : new Date(y, mo - 1, d, h, mi, s).getTime();
}

export function formatDuration(ms: number | null | undefined): string {
  if (typeof ms !== 'number') return '';
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
}
