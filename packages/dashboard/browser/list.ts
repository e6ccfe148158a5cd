import { clear, el } from './dom.js';
import { infoOf, targetOf, type AuditRecord } from './record.js';
import type { FilterName } from './state.js';
import { formatDuration, formatTime, type Zone } from './time.js';

/**
 * The list: EMQX's columns (time, info, operator with auth type, IP, result) plus status and
 * duration, newest first. Operator, IP, operation and target are buttons that add themselves as a
 * filter; the rest of a row opens its detail.
 */

export interface ListEvents {
  open(record: AuditRecord): void;
  filter(pairs: ReadonlyArray<[FilterName, string]>): void;
}

export class RecordList {
  readonly #shown = new Map<string, { record: AuditRecord; row: HTMLTableRowElement }>();

  constructor(
    private readonly body: HTMLTableSectionElement,
    private readonly events: ListEvents,
  ) {
    body.addEventListener('click', (e) => {
      const target = e.target as HTMLElement;
      const button = target.closest<HTMLButtonElement>('button[data-filter]');
      const row = target.closest<HTMLTableRowElement>('tr[data-id]');
      if (row === null) return;
      const entry = this.#shown.get(row.dataset.id!);
      if (entry === undefined) return;
      if (button !== null) {
        this.events.filter(filterPairs(button.dataset.filter as FilterName | 'target', entry.record));
        return;
      }
      this.events.open(entry.record);
    });
    body.addEventListener('keydown', (e) => {
      const row = (e.target as HTMLElement).closest<HTMLTableRowElement>('tr[data-id]');
      if (row === null || e.target !== row) return;
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        const entry = this.#shown.get(row.dataset.id!);
        if (entry !== undefined) this.events.open(entry.record);
      }
    });
  }

  get size(): number {
    return this.#shown.size;
  }

  has(id: string): boolean {
    return this.#shown.has(id);
  }

  get(id: string): AuditRecord | undefined {
    return this.#shown.get(id)?.record;
  }

  reset(): void {
    this.#shown.clear();
    clear(this.body);
  }

  append(records: readonly AuditRecord[], zone: Zone): void {
    for (const r of records) {
      if (this.#shown.has(r.id)) continue;
      const row = rowOf(r, zone);
      this.#shown.set(r.id, { record: r, row });
      this.body.appendChild(row);
    }
  }

  /** New records on top (live), oldest of the batch lowest; returns the rows added. */
  prepend(records: readonly AuditRecord[], zone: Zone): HTMLTableRowElement[] {
    const added: HTMLTableRowElement[] = [];
    for (const r of records) {
      if (this.#shown.has(r.id)) continue;
      const row = rowOf(r, zone);
      row.classList.add('fresh');
      this.#shown.set(r.id, { record: r, row });
      this.body.insertBefore(row, this.body.firstChild);
      added.push(row);
    }
    return added;
  }

  /** Re-renders the times after a zone switch. */
  rezone(zone: Zone): void {
    for (const { record, row } of this.#shown.values()) {
      const cell = row.querySelector('time');
      if (cell !== null) cell.textContent = formatTime(record.time, zone);
    }
  }

  rows(): HTMLTableRowElement[] {
    return [...this.body.querySelectorAll<HTMLTableRowElement>('tr[data-id]')];
  }
}

function filterPairs(kind: FilterName | 'target', r: AuditRecord): Array<[FilterName, string]> {
  if (kind === 'target') {
    const t = r.target;
    if (t === null || t === undefined || typeof t.type !== 'string') return [];
    return typeof t.id === 'string' ? [['target_type', t.type], ['target_id', t.id]] : [['target_type', t.type]];
  }
  const value = r[kind];
  return typeof value === 'string' || typeof value === 'number' ? [[kind, String(value)]] : [];
}

function filterButton(kind: FilterName | 'target', text: string, title: string): HTMLButtonElement {
  return el('button', { type: 'button', class: 'cell-filter', 'data-filter': kind, title }, text);
}

function rowOf(r: AuditRecord, zone: Zone): HTMLTableRowElement {
  const result = typeof r.operation_result === 'string' ? r.operation_result : '';
  const target = targetOf(r);
  const operator = typeof r.source === 'string' ? r.source : '';
  const info = infoOf(r);
  return el(
    'tr',
    { 'data-id': r.id, tabindex: '0', class: result === 'failure' ? 'failure' : undefined },
    el('td', { class: 'c-time', 'data-label': 'Time' }, el('time', {}, formatTime(r.time, zone))),
    el(
      'td',
      { class: 'c-info', 'data-label': 'Info' },
      info === '' ? '' : filterButton('operation_id', info, `Filter by this operation (${r.operation_id ?? ''})`),
      target === undefined ? '' : el('span', { class: 'target' }, ' → ', filterButton('target', target, 'Filter by this target')),
    ),
    el(
      'td',
      { class: 'c-operator', 'data-label': 'Operator' },
      operator === '' ? el('span', { class: 'none' }, '—') : filterButton('source', operator, 'Filter by this operator'),
      typeof r.auth_type === 'string' && r.auth_type !== 'none' ? el('span', { class: 'auth' }, ` ${r.auth_type}${r.source_verified ? ' ✓' : ''}`) : '',
    ),
    el('td', { class: 'c-ip', 'data-label': 'IP' }, typeof r.source_ip === 'string' ? filterButton('source_ip', r.source_ip, 'Filter by this address') : ''),
    el('td', { class: 'c-result', 'data-label': 'Result' }, el('span', { class: `result ${result}` }, result)),
    el('td', { class: 'c-status', 'data-label': 'Status' }, typeof r.http_status_code === 'number' ? String(r.http_status_code) : ''),
    el('td', { class: 'c-duration', 'data-label': 'Duration' }, formatDuration(r.duration_ms)),
  );
}
