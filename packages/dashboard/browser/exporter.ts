import { endpoint, request, token } from './api.js';

/**
 * Export of the current filter through the API's streaming export. With a cookie session the browser
 * downloads it straight from the API (streamed to disk, whatever its size); with a bearer token the
 * page must send the header itself, so it fetches the export and saves what it received.
 */
export async function exportRecords(format: 'ndjson' | 'csv', params: URLSearchParams): Promise<void> {
  const p = new URLSearchParams(params);
  p.set('format', format);
  const href = endpoint('records/export', p);
  if (token() === null) {
    click(href, '');
    return;
  }
  const response = await request('records/export', p);
  const disposition = response.headers.get('content-disposition') ?? '';
  const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? `audit.${format}`;
  const url = URL.createObjectURL(await response.blob());
  try {
    click(url, name);
  } finally {
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }
}

function click(href: string, name: string): void {
  const a = document.createElement('a');
  a.href = href;
  a.download = name;
  a.hidden = true;
  document.body.appendChild(a);
  a.click();
  a.remove();
}
