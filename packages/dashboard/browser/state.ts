/**
 * The view as one object, and its one written form: the page's own query string. Filters use the
 * API's parameter names and syntax, so a dashboard link and an API call read the same; the range is
 * a preset (`range=1h`) or the two bounds, the zone `tz=utc` or the viewer's own; `id` is the record
 * open in the drawer.
 */

export const FILTER_NAMES = [
  'node', 'from', 'source', 'source_ip', 'operation_id', 'operation_type', 'operation_result', 'http_status_code',
  'http_method', 'gte_duration_ms', 'lte_duration_ms', 'request_id', 'event', 'target_type', 'target_id', 'q',
] as const;

export type FilterName = (typeof FILTER_NAMES)[number];

export const PRESETS: Readonly<Record<string, number>> = { '15m': 15 * 60e3, '1h': 3600e3, '24h': 24 * 3600e3, '7d': 7 * 24 * 3600e3, '30d': 30 * 24 * 3600e3 };
export const DEFAULT_RANGE = '24h';

export interface ViewState {
  filters: Map<FilterName, string>;
  /** A preset name, `all`, or `custom` with `gte`/`lte` (epoch ms). */
  range: string;
  gte: number | undefined;
  lte: number | undefined;
  zone: 'local' | 'utc';
  /**
   * Show the trail's own read records (`audit.log.view`, `audit.log.export`)? Off by default: every
   * view of this page writes several, and a free-text search would find its own reads.
   */
  reads: boolean;
  open: string | undefined;
}

export const READ_EVENTS = '!audit.log.view,audit.log.export';

export function emptyState(): ViewState {
  return { filters: new Map(), range: DEFAULT_RANGE, gte: undefined, lte: undefined, zone: 'local', reads: false, open: undefined };
}

export function cloneState(s: ViewState): ViewState {
  return { ...s, filters: new Map(s.filters) };
}

export function readUrl(search: string): ViewState {
  const p = new URLSearchParams(search);
  const s = emptyState();
  for (const name of FILTER_NAMES) {
    const v = p.get(name);
    if (v !== null && v !== '') s.filters.set(name, v);
  }
  const gte = parseTime(p.get('gte_created_at'));
  const lte = parseTime(p.get('lte_created_at'));
  const range = p.get('range');
  if (gte !== undefined || lte !== undefined) {
    s.range = 'custom';
    s.gte = gte;
    s.lte = lte;
  } else if (range !== null && (range in PRESETS || range === 'all')) s.range = range;
  s.zone = p.get('tz') === 'utc' ? 'utc' : 'local';
  s.reads = p.get('reads') === 'show';
  const open = p.get('id');
  if (open !== null && open !== '') s.open = open;
  return s;
}

export function writeUrl(s: ViewState): string {
  const p = new URLSearchParams();
  for (const name of FILTER_NAMES) {
    const v = s.filters.get(name);
    if (v !== undefined && v !== '') p.set(name, v);
  }
  if (s.range === 'custom') {
    if (s.gte !== undefined) p.set('gte_created_at', new Date(s.gte).toISOString());
    if (s.lte !== undefined) p.set('lte_created_at', new Date(s.lte).toISOString());
  } else if (s.range !== DEFAULT_RANGE) p.set('range', s.range);
  if (s.zone === 'utc') p.set('tz', 'utc');
  if (s.reads) p.set('reads', 'show');
  if (s.open !== undefined) p.set('id', s.open);
  const q = p.toString();
  return q === '' ? location.pathname : `${location.pathname}?${q}`;
}

/** The time bounds a query sends, in epoch ms, resolved against now for a preset. */
export function boundsOf(s: ViewState, now: number): { gte: number | undefined; lte: number | undefined } {
  if (s.range === 'custom') return { gte: s.gte, lte: s.lte };
  const span = PRESETS[s.range];
  return span === undefined ? { gte: undefined, lte: undefined } : { gte: now - span, lte: undefined };
}

/**
 * The API's filter parameters for the view. `withUpper` adds `now` as the upper bound of a preset (the
 * histogram needs both ends; the list leaves it open so the newest records are in).
 */
export function apiParams(s: ViewState, now: number, withUpper = false): URLSearchParams {
  const p = new URLSearchParams();
  for (const [name, value] of s.filters) if (value !== '') p.set(name, value);
  if (!s.reads && !s.filters.has('event')) p.set('event', READ_EVENTS);
  const { gte, lte } = boundsOf(s, now);
  if (gte !== undefined) p.set('gte_created_at', String(Math.floor(gte)));
  if (lte !== undefined) p.set('lte_created_at', String(Math.floor(lte)));
  else if (withUpper && gte !== undefined) p.set('lte_created_at', String(now));
  return p;
}

function parseTime(text: string | null): number | undefined {
  if (text === null || text === '') return undefined;
  if (/^\d+$/.test(text)) return Number(text);
  const t = Date.parse(text);
  return Number.isNaN(t) ? undefined : t;
}
