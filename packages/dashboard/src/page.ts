import { SCRIPT, STYLESHEET } from './generated/assets.js';

/**
 * The page shell: a static document with the layout's empty containers. It holds no record content
 * and no inline script or style, so the Content-Security-Policy below can forbid both; everything the
 * page shows is fetched by the script from the API and written as text.
 */

/** No inline script, no eval, nothing from another origin, not framable by another site. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'self'",
].join('; ');

export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'SAMEORIGIN',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
});

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

export function pageHtml(title: string, mask: string): string {
  const t = escapeHtml(title);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="color-scheme" content="light dark">
<link rel="icon" href="data:,">
<meta name="auditkit-mask" content="${escapeHtml(mask)}">
<title>${t}</title>
<link rel="stylesheet" href="assets/${STYLESHEET}">
<script type="module" src="assets/${SCRIPT}"></script>
</head>
<body>
<a class="skip" href="#records">Skip to records</a>
<header class="bar">
  <h1>${t}</h1>
  <div class="bar-tools">
    <button type="button" id="zone" class="chip" title="Switch between your time zone and UTC (z)" aria-live="polite"></button>
    <button type="button" id="live" class="chip" aria-pressed="false" title="Append new records as they arrive (l)">Live</button>
    <button type="button" id="theme" class="chip" title="Light or dark">Theme</button>
  </div>
</header>
<form id="filters" class="filters" role="search" autocomplete="off">
  <div class="search-row">
    <label class="grow"><span class="sr">Search</span><input id="search" name="search" type="search" placeholder="Search text, or source:alice status:>=400 target:user/42  (/)" spellcheck="false"></label>
    <button type="submit">Apply</button>
  </div>
  <div class="fields">
    <label>Time<select id="range" name="range">
      <option value="15m">Last 15 min</option><option value="1h">Last 1 h</option><option value="24h">Last 24 h</option><option value="7d">Last 7 d</option><option value="30d">Last 30 d</option><option value="all">All time</option><option value="custom">Custom</option>
    </select></label>
    <label class="custom">From<input id="gte" name="gte" type="datetime-local" step="1"></label>
    <label class="custom">To<input id="lte" name="lte" type="datetime-local" step="1"></label>
    <label>Source type<select id="f-from" name="from"><option value="">Any</option></select></label>
    <label>Operator<input id="f-source" name="source" list="sources" spellcheck="false"><datalist id="sources"></datalist></label>
    <label>IP<input id="f-ip" name="source_ip" spellcheck="false" placeholder="10.0.0.0/8"></label>
    <label>Operation<select id="f-operation" name="operation_id"><option value="">Any</option></select></label>
    <label>Result<select id="f-result" name="operation_result"><option value="">Any</option><option value="success">Success</option><option value="failure">Failure</option><option value="attempt">Attempt</option></select></label>
    <label>Target<input id="f-target" name="target" spellcheck="false" placeholder="user/42"></label>
    <label class="check"><input id="f-reads" name="reads" type="checkbox"> Reads of the log</label>
  </div>
</form>
<main>
  <section class="histogram" aria-label="Records over time"><div id="histogram"></div><p class="hint">Drag over the chart to narrow the time range.</p></section>
  <div class="list-head">
    <p id="status" role="status" aria-live="polite"></p>
    <div class="exports"><button type="button" id="export-ndjson">Export NDJSON</button><button type="button" id="export-csv">Export CSV</button></div>
  </div>
  <div class="table-wrap">
    <table id="records" tabindex="-1">
      <thead><tr><th scope="col" id="time-head">Time</th><th scope="col">Info</th><th scope="col">Operator</th><th scope="col">IP</th><th scope="col">Result</th><th scope="col">Status</th><th scope="col">Duration</th></tr></thead>
      <tbody id="rows"></tbody>
    </table>
  </div>
  <p class="more"><button type="button" id="more" hidden>Load more</button></p>
</main>
<aside id="drawer" class="drawer" hidden aria-labelledby="drawer-title" role="dialog" aria-modal="false">
  <div class="drawer-head">
    <h2 id="drawer-title">Record</h2>
    <button type="button" id="drawer-close" title="Close (Esc)">Close</button>
  </div>
  <div class="drawer-tools">
    <button type="button" id="copy">Copy JSON</button>
    <button type="button" id="pivot-request">All records of this request</button>
    <button type="button" id="pivot-target">History of this target</button>
  </div>
  <dl id="summary" class="summary"></dl>
  <pre id="json" class="json" tabindex="0"></pre>
</aside>
<div id="notice" class="notice" role="alert" hidden></div>
</body>
</html>
`;
}
