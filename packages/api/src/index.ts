/**
 * @auditkit/api: the audit query API over an auditkit store, framework-free. Filters with EMQX's
 * names, keyset paging, export, distinct values, a histogram and a live feed; access-controlled by
 * default and itself audited. @auditkit/express, /fastify and /koa mount it (`auditLog(...)`); see
 * docs/api.md.
 *
 * @example
 * const api = createAuditLogApi({ store, auditor, authorize: (req) => ({ viewer: sessionUser(req) }) });
 * const response = await api({ method: 'GET', path: '/records', query: 'source=alice', headers: {} });
 */

export { createAuditLogApi, type AuditLogApi } from './api.js';
export { API_OPTION_NAMES, resolveApiOptions, type AuditLogApiOptions, type DashboardHandler, type ResolvedApiOptions } from './options.js';
export type { ApiRequest, ApiResponse, AuthorizeRequest, QueryInput } from './http/types.js';
export { API_ERROR_CODES, ApiError, type ApiErrorCode } from './http/errors.js';
export type { Authorization, Authorize, FilterParams, Viewer } from './access/viewer.js';
export { EXPORT_EVENT, VIEW_EVENT } from './access/read-audit.js';
export { FILTER_PARAMETERS, parseFilter } from './params/filter.js';
export { readQuery } from './params/query.js';
export { CSV_COLUMNS } from './format/csv.js';
export { DISTINCT_FIELDS } from './endpoints/distinct.js';
