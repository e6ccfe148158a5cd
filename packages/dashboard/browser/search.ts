import type { FilterName } from './state.js';

/**
 * The search box: free text, plus `key:value` qualifiers that become the API's filters
 * (`source:alice status:>=400 target:user/42 "two words"`). A word whose key is not a qualifier stays
 * free text, so searching for `http://host` or `a:b` still works.
 */

const QUALIFIERS: Readonly<Record<string, FilterName | 'target' | 'duration'>> = {
  source: 'source', operator: 'source', user: 'source',
  ip: 'source_ip', source_ip: 'source_ip',
  op: 'operation_id', operation: 'operation_id', operation_id: 'operation_id',
  type: 'operation_type', operation_type: 'operation_type',
  result: 'operation_result', operation_result: 'operation_result',
  status: 'http_status_code', http_status_code: 'http_status_code',
  method: 'http_method', http_method: 'http_method',
  from: 'from', node: 'node', event: 'event',
  request: 'request_id', request_id: 'request_id',
  target: 'target', target_type: 'target_type', target_id: 'target_id',
  duration: 'duration', gte_duration_ms: 'gte_duration_ms', lte_duration_ms: 'lte_duration_ms',
};

/** The short name the search box writes a filter under (the filters without a field of their own). */
const SHORT: Partial<Record<FilterName, string>> = {
  node: 'node', operation_type: 'type', http_status_code: 'status', http_method: 'method', request_id: 'request', event: 'event',
  gte_duration_ms: 'duration', lte_duration_ms: 'duration', target_type: 'target_type', target_id: 'target_id',
  from: 'from', source: 'source', source_ip: 'ip', operation_id: 'op', operation_result: 'result',
};

/** The search box's text for filters (those `skip` leaves out have a field of their own) and free text. */
export function formatSearch(filters: ReadonlyMap<FilterName, string>, skip: ReadonlySet<FilterName>): string {
  const words: string[] = [];
  for (const [name, value] of filters) {
    const key = SHORT[name];
    if (name === 'q' || key === undefined || skip.has(name)) continue;
    const v = name === 'gte_duration_ms' ? `>=${value}` : name === 'lte_duration_ms' ? `<=${value}` : value;
    words.push(`${key}:${/[\s"]/.test(v) ? `"${v.replace(/"/g, '')}"` : v}`);
  }
  const q = filters.get('q');
  if (q !== undefined && q !== '') words.push(q);
  return words.join(' ');
}

export interface ParsedSearch {
  filters: Map<FilterName, string>;
  text: string;
}

export function parseSearch(input: string): ParsedSearch {
  const filters = new Map<FilterName, string>();
  const words: string[] = [];
  for (const token of tokens(input)) {
    const m = /^([a-z_]+):(.+)$/i.exec(token.text);
    const key = m === null || token.quotedKey ? undefined : QUALIFIERS[m[1]!.toLowerCase()];
    if (m === null || key === undefined) {
      words.push(token.text);
      continue;
    }
    const value = unquote(m[2]!);
    if (key === 'target') {
      const slash = value.indexOf('/');
      filters.set('target_type', slash < 0 ? value : value.slice(0, slash));
      if (slash >= 0 && slash < value.length - 1) filters.set('target_id', value.slice(slash + 1));
    } else if (key === 'duration') {
      const d = /^(>=|>|<=|<)?\s*(\d+(?:\.\d+)?)$/.exec(value);
      if (d === null) words.push(token.text);
      else if (d[1]?.startsWith('<')) filters.set('lte_duration_ms', d[2]!);
      else filters.set('gte_duration_ms', d[2]!);
    } else filters.set(key, value);
  }
  return { filters, text: words.join(' ') };
}

interface Token {
  text: string;
  /** `"a:b"` in quotes is text, never a qualifier. */
  quotedKey: boolean;
}

function tokens(input: string): Token[] {
  const out: Token[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  for (let m = re.exec(input); m !== null; m = re.exec(input)) {
    if (m[1] !== undefined) {
      if (m[1] !== '') out.push({ text: m[1], quotedKey: true });
    } else out.push({ text: m[2]!, quotedKey: false });
  }
  // `key:"two words"`: the regex split it at the space; join it back.
  for (let i = 0; i < out.length - 1; i++) {
    const t = out[i]!;
    if (!t.quotedKey && /^[a-z_]+:"[^"]*$/i.test(t.text)) {
      let j = i + 1;
      let text = t.text;
      while (j < out.length && !text.endsWith('"')) text += ' ' + out[j++]!.text;
      out.splice(i, j - i, { text, quotedKey: false });
    }
  }
  return out;
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}
