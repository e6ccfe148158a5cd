/**
 * Records as CSV (RFC 4180) for spreadsheets. Times are RFC 3339 in UTC with microseconds, whatever
 * offset the trail was written in. Every field of a record appears: the usual ones in their own
 * columns, structured ones (meta, query, bindings, the request) as JSON, and anything else a record
 * carries (a drop notice's counts, chain fields) in `other`, so the CSV never silently loses a field.
 *
 * Record content is hostile until proven otherwise: a cell a spreadsheet would read as a formula
 * (starting with = + - @, or a tab or carriage return that some programs skip before one) is
 * prefixed with a single quote, as OWASP recommends, so `=HYPERLINK(...)` in a request body stays text.
 */

export const CSV_COLUMNS = [
  'time',
  'id',
  'event',
  'level',
  'node',
  'from',
  'source',
  'source_verified',
  'source_ip',
  'auth_type',
  'operation_id',
  'operation_type',
  'operation_result',
  'http_method',
  'http_status_code',
  'duration_ms',
  'request_id',
  'target_type',
  'target_id',
  'target_name',
  'user_agent',
  'meta',
  'query_string',
  'bindings',
  'http_request',
  'other',
] as const;

/** Record fields the columns above hold, or that are left out on purpose (`ts`: `time` is the UTC form). */
const HANDLED = new Set<string>([...CSV_COLUMNS.filter((c) => !c.startsWith('target_') && c !== 'other'), 'target', 'ts']);

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvHeader(): string {
  return CSV_COLUMNS.join(',') + '\r\n';
}

/** One line of the trail as one CSV row. A line that is not a JSON object still appears, whole, in `other`. */
export function csvRow(line: string): string {
  let record: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new TypeError('not an object');
    record = parsed as Record<string, unknown>;
  } catch {
    return CSV_COLUMNS.map((c) => (c === 'other' ? cell(line) : '')).join(',') + '\r\n';
  }
  const target = record.target !== null && typeof record.target === 'object' ? (record.target as Record<string, unknown>) : {};
  const other: Record<string, unknown> = {};
  for (const key of Object.keys(record)) if (!HANDLED.has(key)) other[key] = record[key];
  const cells = CSV_COLUMNS.map((column) => {
    switch (column) {
      case 'time':
        return typeof record.time === 'number' ? utc(record.time) : cell(record.time);
      case 'target_type':
        return cell(target.type);
      case 'target_id':
        return cell(target.id);
      case 'target_name':
        return cell(target.name);
      case 'other':
        return Object.keys(other).length === 0 ? '' : cell(JSON.stringify(other));
      default:
        return cell(record[column]);
    }
  });
  return cells.join(',') + '\r\n';
}

/** A CSV comment line: the export's closing statement. */
export function csvComment(text: string): string {
  return '# ' + text.replace(/[\r\n]+/g, ' ') + '\r\n';
}

function cell(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  let text = typeof value === 'string' ? value : JSON.stringify(value);
  if (FORMULA_START.test(text)) text = "'" + text;
  return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
}

/** Epoch µs as RFC 3339 UTC with six fractional digits. */
export function utc(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const iso = new Date(ms).toISOString(); // 2024-05-01T12:00:00.123Z
  const fraction = String(micros - Math.floor(micros / 1_000_000) * 1_000_000).padStart(6, '0');
  return iso.slice(0, 19) + '.' + fraction + 'Z';
}
