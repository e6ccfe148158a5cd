import { request } from './api.js';
import { append, byId, clear, el } from './dom.js';
import { jsonView } from './json-view.js';
import { infoOf, targetOf, type AuditRecord } from './record.js';
import type { FilterName } from './state.js';
import { formatFull, type Zone } from './time.js';

/**
 * The detail drawer: the whole record as the API returned it (the stored line), pretty-printed,
 * masked values marked; copy as JSON; the request and target pivots; and the summary's operator, IP,
 * operation and target as filter buttons.
 */

export interface DrawerEvents {
  filter(pairs: ReadonlyArray<[FilterName, string]>, replace: boolean): void;
  closed(): void;
  failed(err: unknown): void;
}

export class Drawer {
  readonly #root = byId('drawer');
  readonly #json = byId('json');
  readonly #summary = byId('summary');
  #record: AuditRecord | undefined;
  #line = '';
  #zone: Zone = 'local';

  constructor(
    private readonly mask: string,
    private readonly events: DrawerEvents,
  ) {
    byId('drawer-close').addEventListener('click', () => this.close());
    byId('copy').addEventListener('click', () => void this.#copy());
    byId('pivot-request').addEventListener('click', () => {
      const id = this.#record?.request_id;
      if (typeof id === 'string') this.events.filter([['request_id', id]], true);
    });
    byId('pivot-target').addEventListener('click', () => {
      const t = this.#record?.target;
      if (t && typeof t.type === 'string') this.events.filter(typeof t.id === 'string' ? [['target_type', t.type], ['target_id', t.id]] : [['target_type', t.type]], true);
    });
    this.#summary.addEventListener('click', (e) => {
      const button = (e.target as HTMLElement).closest<HTMLButtonElement>('button[data-pairs]');
      if (button !== null) this.events.filter(JSON.parse(button.dataset.pairs!) as Array<[FilterName, string]>, false);
    });
  }

  get openId(): string | undefined {
    return this.#root.hidden ? undefined : this.#record?.id;
  }

  async open(id: string, zone: Zone): Promise<void> {
    this.#zone = zone;
    let line: string;
    try {
      // The stored line byte for byte: that is what is copied.
      line = await (await request(`records/${encodeURIComponent(id)}`)).text();
    } catch (err) {
      this.events.failed(err);
      return;
    }
    this.#line = line;
    this.#record = JSON.parse(line) as AuditRecord;
    this.#render();
    this.#root.hidden = false;
    byId('drawer-title').focus?.();
    byId('drawer-close').focus();
  }

  rezone(zone: Zone): void {
    this.#zone = zone;
    if (!this.#root.hidden) this.#render();
  }

  close(): void {
    if (this.#root.hidden) return;
    this.#root.hidden = true;
    this.#record = undefined;
    this.events.closed();
  }

  /** Closes without telling the page (it is already showing another view). */
  hide(): void {
    this.#root.hidden = true;
    this.#record = undefined;
  }

  #render(): void {
    const r = this.#record!;
    clear(this.#summary);
    const row = (label: string, ...value: Array<Node | string>): void => append(this.#summary, el('dt', {}, label), el('dd', {}, ...value));
    const pivot = (text: string, pairs: Array<[FilterName, string]>): HTMLButtonElement =>
      el('button', { type: 'button', class: 'cell-filter', 'data-pairs': JSON.stringify(pairs), title: 'Add as a filter' }, text);
    row('Time', typeof r.time === 'number' ? formatFull(r.time, this.#zone) : String(r.ts ?? ''));
    row('Operation', typeof r.operation_id === 'string' ? pivot(infoOf(r), [['operation_id', r.operation_id]]) : infoOf(r));
    row('Operator', typeof r.source === 'string' ? pivot(r.source, [['source', r.source]]) : '—', typeof r.auth_type === 'string' ? ` (${r.auth_type}${r.source_verified ? ', verified' : ''})` : '');
    if (typeof r.source_ip === 'string') row('IP', pivot(r.source_ip, [['source_ip', r.source_ip]]));
    const target = targetOf(r);
    if (target !== undefined && r.target) row('Target', pivot(target, typeof r.target.id === 'string' ? [['target_type', r.target.type!], ['target_id', r.target.id]] : [['target_type', r.target.type!]]));
    if (typeof r.request_id === 'string') row('Request', r.request_id);
    (byId('pivot-request') as HTMLButtonElement).disabled = typeof r.request_id !== 'string';
    (byId('pivot-target') as HTMLButtonElement).disabled = target === undefined;
    clear(this.#json);
    this.#json.appendChild(jsonView(r, this.mask));
  }

  async #copy(): Promise<void> {
    const button = byId<HTMLButtonElement>('copy');
    try {
      await navigator.clipboard.writeText(this.#line);
      button.textContent = 'Copied';
    } catch {
      // No clipboard permission (an old browser, an insecure origin): select the text for Ctrl+C.
      const range = document.createRange();
      range.selectNodeContents(this.#json);
      getSelection()?.removeAllRanges();
      getSelection()?.addRange(range);
      button.textContent = 'Selected: press Ctrl+C';
    }
    setTimeout(() => (button.textContent = 'Copy JSON'), 1500);
  }
}
