import { adoptToken, ApiFailure, getJson } from './api.js';
import { append, byId, clear, el } from './dom.js';
import { Drawer } from './drawer.js';
import { exportRecords } from './exporter.js';
import { Histogram, type HistogramAnswer } from './histogram.js';
import { RecordList } from './list.js';
import { LiveFeed } from './live.js';
import type { AuditRecord } from './record.js';
import { formatSearch, parseSearch } from './search.js';
import { apiParams, boundsOf, cloneState, FILTER_NAMES, READ_EVENTS, readUrl, writeUrl, type FilterName, type ViewState } from './state.js';
import { fromLocalInput, toLocalInput, zoneLabel } from './time.js';

// Before anything can read or copy the address: the token leaves the URL.
adoptToken();

const PAGE_SIZE = 50;
const mask = document.querySelector<HTMLMetaElement>('meta[name="auditkit-mask"]')?.content ?? '******';

/** Filters that have a field of their own in the form; the search box carries the others as qualifiers. */
const FORM_FIELDS: Partial<Record<FilterName, string>> = { from: 'f-from', source: 'f-source', source_ip: 'f-ip', operation_id: 'f-operation', operation_result: 'f-result' };
const FIELD_FILTERS = new Set<FilterName>(['from', 'source', 'source_ip', 'operation_id', 'operation_result', 'target_type', 'target_id']);

let state: ViewState = readUrl(location.search);
let nextCursor: string | null = null;
let generation = 0;
let loading = false;
let refused = false;
let freshCount = 0;
/** The range the menus were filled for: they list what the range holds, whatever the other filters. */
let menusFor = '';

const form = byId<HTMLFormElement>('filters');
const search = byId<HTMLInputElement>('search');
const rangeSelect = byId<HTMLSelectElement>('range');
const gteInput = byId<HTMLInputElement>('gte');
const lteInput = byId<HTMLInputElement>('lte');
const targetInput = byId<HTMLInputElement>('f-target');
const readsBox = byId<HTMLInputElement>('f-reads');
const status = byId('status');
const more = byId<HTMLButtonElement>('more');
const liveButton = byId<HTMLButtonElement>('live');
const zoneButton = byId<HTMLButtonElement>('zone');
const notice = byId('notice');

const list = new RecordList(byId<HTMLTableSectionElement>('rows'), {
  open: (record) => openRecord(record.id),
  filter: (pairs) => addFilters(pairs, false),
});
const drawer = new Drawer(mask, {
  filter: (pairs, replace) => addFilters(pairs, replace),
  closed: () => {
    state.open = undefined;
    history.pushState(null, '', writeUrl(state));
  },
  failed: (err) => showFailure(err),
});
const histogram = new Histogram(byId('histogram'), (from, to) => {
  const next = cloneState(state);
  next.range = 'custom';
  next.gte = from;
  next.lte = to;
  navigate(next);
});
const live = new LiveFeed(
  (records) => receiveLive(records),
  (s, detail) => {
    liveButton.dataset.state = s;
    if (s === 'refused') {
      setLive(false);
      if (detail === '401' || detail === '403') showFailure(new ApiFailure(Number(detail), detail === '401' ? 'unauthenticated' : 'forbidden', 'The live feed was refused.'));
    }
  },
);

// ---- the view ----

function navigate(next: ViewState, replace = false): void {
  next.open = undefined;
  state = next;
  if (replace) history.replaceState(null, '', writeUrl(state));
  else history.pushState(null, '', writeUrl(state));
  void render();
}

async function render(): Promise<void> {
  const mine = ++generation;
  fillForm();
  drawer.hide();
  list.reset();
  nextCursor = null;
  freshCount = 0;
  more.hidden = true;
  setStatus('Loading…');
  const now = Date.now();
  // The rows first: a store answers in the order it is asked, and the rows are what the reader waits for.
  const rows = loadPage(mine, now);
  void loadHistogram(mine, now);
  await rows;
  const menus = `${state.range}|${state.gte}|${state.lte}|${state.reads}`;
  if (menus !== menusFor) {
    menusFor = menus;
    void loadMenus(mine, now);
  }
  if (state.open !== undefined && mine === generation) void drawer.open(state.open, state.zone);
  if (live.running) live.start(liveParams());
}

async function loadPage(mine: number, now = Date.now()): Promise<void> {
  if (loading && nextCursor !== null) return;
  loading = true;
  try {
    const p = apiParams(state, now);
    p.set('limit', String(PAGE_SIZE));
    if (nextCursor !== null) p.set('cursor', nextCursor);
    const page = await getJson<{ data: AuditRecord[]; next_cursor: string | null }>('records', p);
    if (mine !== generation) return;
    list.append(page.data, state.zone);
    nextCursor = page.next_cursor;
    more.hidden = nextCursor === null;
    hideNotice();
    updateStatus();
  } catch (err) {
    if (mine === generation) showFailure(err);
  } finally {
    loading = false;
  }
}

async function loadHistogram(mine: number, now: number): Promise<void> {
  const host = byId('histogram').parentElement!;
  if (boundsOf(state, now).gte === undefined) {
    histogram.hide();
    host.classList.add('no-range');
    return;
  }
  host.classList.remove('no-range');
  try {
    const p = apiParams(state, now, true);
    p.set('buckets', '60');
    const answer = await getJson<HistogramAnswer>('histogram', p);
    if (mine === generation) histogram.show(answer, state.zone);
  } catch (err) {
    if (mine === generation) showFailure(err);
  }
}

/** The menus offer what the trail holds in the range: source types, operators and operation ids seen. */
async function loadMenus(mine: number, now: number): Promise<void> {
  const p = apiParams({ ...state, filters: new Map() }, now);
  p.set('limit', '200');
  try {
    const [froms, ops, sources] = await Promise.all(
      ['from', 'operation_id', 'source'].map((field) => getJson<{ values: Array<{ value: string | number; count: number }> }>(`distinct/${field}`, p)),
    );
    if (mine !== generation) {
      menusFor = '';
      return;
    }
    fillMenu(byId<HTMLSelectElement>('f-from'), froms!.values.map((v) => String(v.value)), state.filters.get('from'));
    fillMenu(byId<HTMLSelectElement>('f-operation'), ops!.values.map((v) => String(v.value)), state.filters.get('operation_id'));
    const datalist = byId('sources');
    clear(datalist);
    for (const v of sources!.values) datalist.appendChild(el('option', { value: String(v.value) }));
  } catch {
    // The menus are a convenience; the list reports refusals.
    menusFor = '';
  }
}

function fillMenu(select: HTMLSelectElement, values: string[], current: string | undefined): void {
  clear(select);
  select.appendChild(el('option', { value: '' }, 'Any'));
  const all = current !== undefined && !values.includes(current) ? [current, ...values] : values;
  for (const v of all) select.appendChild(el('option', { value: v }, v));
  select.value = current ?? '';
}

function fillForm(): void {
  for (const [name, id] of Object.entries(FORM_FIELDS) as Array<[FilterName, string]>) {
    const field = byId<HTMLInputElement | HTMLSelectElement>(id);
    const v = state.filters.get(name) ?? '';
    if (field instanceof HTMLSelectElement && v !== '' && ![...field.options].some((o) => o.value === v)) field.appendChild(el('option', { value: v }, v));
    field.value = v;
  }
  const tt = state.filters.get('target_type');
  const ti = state.filters.get('target_id');
  targetInput.value = tt === undefined ? '' : ti === undefined ? tt : `${tt}/${ti}`;
  // Filters without a field of their own are written into the search box as qualifiers.
  const targetInBox = tt === undefined && ti !== undefined;
  search.value = formatSearch(state.filters, targetInBox ? new Set([...FIELD_FILTERS].filter((f) => f !== 'target_id')) : FIELD_FILTERS);
  readsBox.checked = state.reads;
  rangeSelect.value = state.range === 'all' ? 'all' : state.range;
  if (rangeSelect.value !== state.range) {
    rangeSelect.appendChild(el('option', { value: state.range }, state.range === 'all' ? 'All time' : state.range));
    rangeSelect.value = state.range;
  }
  form.classList.toggle('is-custom', state.range === 'custom');
  gteInput.value = state.gte === undefined ? '' : toLocalInput(state.gte, state.zone);
  lteInput.value = state.lte === undefined ? '' : toLocalInput(state.lte, state.zone);
  const at = Date.now();
  zoneButton.textContent = state.zone === 'utc' ? 'UTC' : `Local ${zoneLabel('local', at)}`;
  byId('time-head').textContent = `Time (${zoneLabel(state.zone, at)})`;
}

function updateStatus(): void {
  const n = list.size;
  const tail = nextCursor === null ? '' : ', more below';
  const fresh = freshCount > 0 ? ` · ${freshCount} new` : '';
  setStatus(n === 0 ? 'No records match.' : `${n} record${n === 1 ? '' : 's'}, newest first${tail}${fresh}`);
}

function setStatus(text: string): void {
  status.textContent = text;
}

// ---- filters ----

function readForm(): ViewState {
  const next = cloneState(state);
  const parsed = parseSearch(search.value);
  // The box holds every filter without a field: what it no longer says is no longer filtered.
  for (const name of FILTER_NAMES) if (!FIELD_FILTERS.has(name)) next.filters.delete(name);
  for (const [name, id] of Object.entries(FORM_FIELDS) as Array<[FilterName, string]>) {
    const v = byId<HTMLInputElement | HTMLSelectElement>(id).value.trim();
    if (v === '') next.filters.delete(name);
    else next.filters.set(name, v);
  }
  const target = targetInput.value.trim();
  next.filters.delete('target_type');
  next.filters.delete('target_id');
  if (target !== '') {
    const slash = target.indexOf('/');
    next.filters.set('target_type', slash < 0 ? target : target.slice(0, slash));
    if (slash >= 0 && slash < target.length - 1) next.filters.set('target_id', target.slice(slash + 1));
  }
  for (const [name, v] of parsed.filters) next.filters.set(name, v);
  if (parsed.text === '') next.filters.delete('q');
  else next.filters.set('q', parsed.text);
  next.reads = readsBox.checked;
  next.range = rangeSelect.value;
  if (next.range === 'custom') {
    next.gte = fromLocalInput(gteInput.value, state.zone);
    next.lte = fromLocalInput(lteInput.value, state.zone);
  } else {
    next.gte = undefined;
    next.lte = undefined;
  }
  return next;
}

function addFilters(pairs: ReadonlyArray<[FilterName, string]>, replace: boolean): void {
  if (pairs.length === 0) return;
  const next = cloneState(state);
  if (replace) {
    // A pivot: every record of the request or the target, whenever it was written.
    next.filters = new Map();
    next.range = 'all';
    next.gte = undefined;
    next.lte = undefined;
  }
  for (const [name, value] of pairs) next.filters.set(name, value);
  navigate(next);
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  navigate(readForm());
});
for (const id of ['range', 'f-from', 'f-operation', 'f-result', 'f-reads']) {
  byId(id).addEventListener('change', () => {
    if (id === 'range' && rangeSelect.value === 'custom') {
      const now = Date.now();
      const { gte } = boundsOf(state, now);
      form.classList.add('is-custom');
      gteInput.value = toLocalInput(gte ?? now - 3600e3, state.zone);
      lteInput.value = toLocalInput(now, state.zone);
    }
    navigate(readForm());
  });
}

// ---- paging, detail, live, export, zone, theme ----

more.addEventListener('click', () => void loadPage(generation));
new IntersectionObserver((entries) => {
  if (entries.some((e) => e.isIntersecting) && nextCursor !== null && !loading) void loadPage(generation);
}).observe(more);

function openRecord(id: string): void {
  state.open = id;
  history.pushState(null, '', writeUrl(state));
  void drawer.open(id, state.zone);
}

function liveParams(): URLSearchParams {
  // Presets only bound the past: everything that arrives now is inside them.
  const p = new URLSearchParams();
  for (const [name, value] of state.filters) p.set(name, value);
  if (!state.reads && !state.filters.has('event')) p.set('event', READ_EVENTS);
  if (state.range === 'custom') {
    if (state.gte !== undefined) p.set('gte_created_at', String(state.gte));
    if (state.lte !== undefined) p.set('lte_created_at', String(state.lte));
  }
  return p;
}

function receiveLive(records: AuditRecord[]): void {
  const fresh = records.filter((r) => !list.has(r.id));
  if (fresh.length === 0) return;
  // Keep the reader's place: rows added above the viewport push it down by their height.
  const anchor = list.rows().find((row) => row.getBoundingClientRect().bottom > 0);
  const before = anchor?.getBoundingClientRect().top;
  list.prepend(fresh, state.zone);
  if (anchor !== undefined && before !== undefined && window.scrollY > 0) window.scrollBy(0, anchor.getBoundingClientRect().top - before);
  freshCount += fresh.length;
  updateStatus();
}

function setLive(on: boolean): void {
  liveButton.setAttribute('aria-pressed', String(on));
  liveButton.textContent = on ? 'Live: on' : 'Live';
  if (on) live.start(liveParams());
  else live.stop();
}
liveButton.addEventListener('click', () => setLive(!live.running));

for (const format of ['ndjson', 'csv'] as const) {
  byId(`export-${format}`).addEventListener('click', () => {
    exportRecords(format, apiParams(state, Date.now())).catch(showFailure);
  });
}

function switchZone(): void {
  const next = cloneState(state);
  next.zone = state.zone === 'utc' ? 'local' : 'utc';
  state = next;
  history.pushState(null, '', writeUrl(state));
  fillForm();
  list.rezone(state.zone);
  drawer.rezone(state.zone);
  void loadHistogram(generation, Date.now());
}
zoneButton.addEventListener('click', switchZone);

const THEME_KEY = 'auditkit.theme';
function applyTheme(theme: string | null): void {
  if (theme === 'dark' || theme === 'light') document.documentElement.dataset.theme = theme;
  else delete document.documentElement.dataset.theme;
}
applyTheme(localStorage.getItem(THEME_KEY));
byId('theme').addEventListener('click', () => {
  const dark = document.documentElement.dataset.theme === 'dark' || (document.documentElement.dataset.theme === undefined && matchMedia('(prefers-color-scheme: dark)').matches);
  const theme = dark ? 'light' : 'dark';
  localStorage.setItem(THEME_KEY, theme);
  applyTheme(theme);
  void loadHistogram(generation, Date.now());
});

// ---- keyboard ----

document.addEventListener('keydown', (e) => {
  const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement || e.target instanceof HTMLTextAreaElement;
  if (e.key === 'Escape') {
    if (!byId('drawer').hidden) drawer.close();
    else if (typing) (e.target as HTMLElement).blur();
    return;
  }
  if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === '/') {
    e.preventDefault();
    search.focus();
  } else if (e.key === 'j' || e.key === 'k') {
    const rows = list.rows();
    const i = rows.indexOf(document.activeElement as HTMLTableRowElement);
    const next = rows[e.key === 'j' ? Math.min(rows.length - 1, i + 1) : Math.max(0, i - 1)];
    next?.focus();
  } else if (e.key === 'l') setLive(!live.running);
  else if (e.key === 'z') switchZone();
});

// ---- failures ----

function showFailure(err: unknown): void {
  if (err instanceof ApiFailure && (err.status === 401 || err.status === 403)) {
    refused = true;
    live.stop();
    list.reset();
    more.hidden = true;
    setStatus('');
    showNotice(err.status === 401 ? 'Not signed in: the audit log refused this page (401). Sign in, or open the address with its token again.' : 'You may not read the audit log (403).');
    return;
  }
  setStatus('');
  if (err instanceof ApiFailure) showNotice(`The audit log refused the query: ${err.message}`);
  else if ((err as Error)?.name !== 'AbortError') showNotice(`Could not reach the audit log: ${(err as Error)?.message ?? String(err)}`);
}

function showNotice(text: string): void {
  clear(notice);
  append(notice, text);
  notice.hidden = false;
  document.body.dataset.refused = String(refused);
}

function hideNotice(): void {
  notice.hidden = true;
}

window.addEventListener('popstate', () => {
  state = readUrl(location.search);
  void render();
});

void render();
