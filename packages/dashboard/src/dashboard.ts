import type { ApiRequest, ApiResponse, DashboardHandler } from '@auditkit/api';
import { ASSETS } from './generated/assets.js';
import { resolveDashboardOptions, type DashboardOptions } from './options.js';
import { pageHtml, SECURITY_HEADERS } from './page.js';

/**
 * The dashboard as the query API's `dashboard` option: the API calls it for `/` and `/assets/*` once
 * `authorize` has named the viewer, so the page is behind the same access check as the data. The page
 * is a client of the public API and nothing more: it gets no endpoint of its own.
 *
 * @example
 * app.use('/admin/audit', auditLog({ store, auditor, authorize, dashboard: createDashboard() }));
 */
export function createDashboard(options?: DashboardOptions): DashboardHandler {
  const settings = resolveDashboardOptions(options);
  const html = pageHtml(settings.title, settings.mask);

  return function auditDashboard(request: ApiRequest): ApiResponse | undefined {
    if (request.path === '/') {
      const redirect = trailingSlashRedirect(request.url);
      if (redirect !== undefined) return { status: 308, headers: { ...SECURITY_HEADERS, location: redirect, 'cache-control': 'no-store' }, body: '' };
      return {
        status: 200,
        headers: { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
        body: html,
      };
    }
    const asset = ASSETS[request.path.slice('/assets/'.length)];
    if (asset === undefined) return undefined;
    return {
      status: 200,
      // Asset names carry their content's hash, so a browser may keep them; they hold no record data.
      headers: { ...SECURITY_HEADERS, 'content-type': asset.type, 'cache-control': 'private, max-age=31536000, immutable' },
      body: asset.body,
    };
  };
}

/**
 * The page's asset and API addresses are relative (`assets/…`, `records`), so it must be loaded with
 * the mount's trailing slash. `/admin/audit?x` is sent to `audit/?x`: a relative location built only
 * from the last path segment, so no request can turn it into a redirect to another site.
 */
function trailingSlashRedirect(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (path.endsWith('/')) return undefined;
  const last = path.slice(path.lastIndexOf('/') + 1);
  if (last === '' || last === '.' || last === '..' || last.includes('\\')) return undefined;
  return `${last}/${q < 0 ? '' : url.slice(q)}`;
}
