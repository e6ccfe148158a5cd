import type { Auditor } from '@auditkit/core';
import { ReadAudit } from './access/read-audit.js';
import { identify, PUBLIC_VIEWER, type Viewer } from './access/viewer.js';
import { parseCookies } from './http/cookies.js';
import { ApiError } from './http/errors.js';
import { errorResponse } from './http/responses.js';
import type { ApiRequest, ApiResponse, AuthorizeRequest } from './http/types.js';
import { resolveApiOptions, type AuditLogApiOptions } from './options.js';
import { readQuery } from './params/query.js';
import type { ApiContext, Call } from './endpoints/call.js';
import { distinctValues, DISTINCT_PARAMETERS } from './endpoints/distinct.js';
import { exportRecords, EXPORT_PARAMETERS } from './endpoints/export.js';
import { histogram, HISTOGRAM_PARAMETERS } from './endpoints/histogram.js';
import { livePoll, LIVE_PARAMETERS } from './endpoints/live.js';
import { liveStream, LIVE_STREAM_PARAMETERS } from './endpoints/live-stream.js';
import { getRecord } from './endpoints/record.js';
import { listRecords, RECORDS_PARAMETERS } from './endpoints/records.js';
import type { PullStream } from './stream/pull-stream.js';

/**
 * The audit query API, framework-free: `(request) => Promise<response>` over plain objects. Every
 * answer goes through the same steps: `authorize` names the viewer (or the read is refused and that
 * refusal recorded), the query string is checked against what the endpoint accepts, the filters are
 * parsed once and ANDed with the viewer's scope, the store answers, and the read is recorded.
 *
 * Errors the application's own code throws (in `authorize`) and store failures before an answer has
 * started reject the promise unchanged, so they reach the framework's error handling.
 */
export interface AuditLogApi {
  (request: ApiRequest): Promise<ApiResponse>;
  /** The auditor reads are recorded through. */
  readonly auditor: Auditor;
  /** Ends open live streams (each records how it ended) and refuses new ones. Call before closing the server. */
  close(): Promise<void>;
}

interface Route {
  endpoint: string;
  accepts: readonly string[];
  run: (ctx: ApiContext, call: Call) => Promise<ApiResponse>;
}

function route(path: string): Route | undefined {
  if (path === '/records') return { endpoint: '/records', accepts: RECORDS_PARAMETERS, run: listRecords };
  if (path === '/records/export') return { endpoint: '/records/export', accepts: EXPORT_PARAMETERS, run: exportRecords };
  if (path === '/histogram') return { endpoint: '/histogram', accepts: HISTOGRAM_PARAMETERS, run: histogram };
  if (path === '/live') return { endpoint: '/live', accepts: LIVE_PARAMETERS, run: livePoll };
  if (path === '/live/stream') return { endpoint: '/live/stream', accepts: LIVE_STREAM_PARAMETERS, run: liveStream };
  let m = /^\/records\/([^/]+)$/.exec(path);
  if (m !== null) {
    const id = m[1]!;
    return { endpoint: '/records/:id', accepts: [], run: (ctx, call) => getRecord(ctx, call, id) };
  }
  m = /^\/distinct\/([^/]+)$/.exec(path);
  if (m !== null) {
    const field = m[1]!;
    return { endpoint: '/distinct/:field', accepts: DISTINCT_PARAMETERS, run: (ctx, call) => distinctValues(ctx, call, field) };
  }
  return undefined;
}

const NOT_FOUND = new ApiError(404, 'not_found', 'No such endpoint. See docs/api.md: /records, /records/:id, /records/export, /distinct/:field, /histogram, /live, /live/stream.');

export function createAuditLogApi(options: AuditLogApiOptions): AuditLogApi {
  const settings = resolveApiOptions(options);
  const reads = new ReadAudit(settings.auditor);
  const streams = new Set<PullStream>();
  let closed = false;
  const ctx: ApiContext = { options: settings, reads, streams, closed: () => closed };

  async function authorizeRequest(request: ApiRequest, endpoint: string): Promise<Viewer> {
    if (settings.authorize === 'public') return PUBLIC_VIEWER;
    let cookies: Record<string, string> | undefined;
    const authRequest: AuthorizeRequest = Object.defineProperty({ ...request }, 'cookies', {
      get: () => (cookies ??= parseCookies(request.headers.cookie)),
      enumerable: true,
    }) as AuthorizeRequest;
    try {
      return await identify(settings.authorize, authRequest);
    } catch (err) {
      if (err instanceof ApiError) await reads.denied(request, endpoint, err.status);
      throw err;
    }
  }

  const api = async function auditLogApi(request: ApiRequest): Promise<ApiResponse> {
    try {
      const path = normalizePath(request.path);
      const isPage = path === '/' || path.startsWith('/assets/');
      const target = isPage ? undefined : route(path);
      if (request.method !== 'GET') throw new ApiError(405, 'method_not_allowed', 'The audit log is read-only: use GET.');
      const viewer = await authorizeRequest(request, target?.endpoint ?? path);
      if (isPage) {
        const page = settings.dashboard === undefined ? undefined : await settings.dashboard({ ...request, path }, viewer);
        if (page === undefined) throw NOT_FOUND;
        return page;
      }
      if (target === undefined) throw NOT_FOUND;
      const params = readQuery(request.query, target.accepts);
      return await target.run(ctx, { request, viewer, endpoint: target.endpoint, params });
    } catch (err) {
      if (err instanceof ApiError) return errorResponse(err);
      throw err;
    }
  } as AuditLogApi;

  return Object.defineProperties(api, {
    auditor: { value: settings.auditor, enumerable: true },
    close: {
      value: async (): Promise<void> => {
        closed = true;
        const ending = [...streams].map((s) => new Promise<void>((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve()))));
        for (const s of streams) s.stop();
        await Promise.all(ending);
      },
      enumerable: true,
    },
  });
}

/** `/records/` is `/records`; the root stays `/`. */
function normalizePath(path: string): string {
  const bare = path.split('?')[0] ?? '';
  const withSlash = bare.startsWith('/') ? bare : '/' + bare;
  return withSlash.length > 1 && withSlash.endsWith('/') ? withSlash.replace(/\/+$/, '') || '/' : withSlash;
}
